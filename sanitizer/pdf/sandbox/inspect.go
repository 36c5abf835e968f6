package sandbox

import (
	"context"
	"fmt"
	"io"

	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/sandbox/wire"
)

// Inventory is pdf.Inspect run in a fresh sandboxed instance (a
// pdf.Inspector for the PDF handler, which reports what a flattened PDF
// carried): the same Info and the same error values as pdf.Inspect in
// process, plus ErrCrashed and pdf.ErrSandboxUnavailable.
func (s *Sandbox) Inventory(ctx context.Context, r io.ReadSeeker, lim pdf.Limits) (pdf.Info, error) {
	res, stdout, err := s.run(ctx, r, wire.Request{Op: wire.OpInspect, Limits: lim})
	if err != nil {
		return pdf.Info{}, err
	}
	if err := res.Err(); err != nil {
		return pdf.Info{}, err
	}
	if stdout.Len() > 0 || res.Info == nil {
		return pdf.Info{}, fmt.Errorf("%w: the inspection wrote output or no Info", ErrCrashed)
	}
	return *res.Info, nil
}
