package sandbox

import (
	"context"
	"io"

	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/sandbox/wire"
)

// Disarm is pdf.Disarm run in a fresh sandboxed instance: the same
// contract (nothing is written to w unless the whole rewrite and its
// validation succeed) and the same error values (pdf.ErrEncrypted and
// *pdf.EncryptedError, pdf.ErrLimit, the ctx error, the same text for the
// others), plus ErrCrashed and pdf.ErrSandboxUnavailable.
func (s *Sandbox) Disarm(ctx context.Context, r io.ReadSeeker, w io.Writer, opts pdf.DisarmOptions) (pdf.Removed, error) {
	res, stdout, err := s.run(ctx, r, wire.Request{Op: wire.OpDisarm, Options: opts})
	if err != nil {
		return nil, err
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	if _, err := stdout.WriteTo(w); err != nil {
		return nil, err
	}
	return res.Removed, nil
}
