package archive

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/mugai-project/mugai/sanitizer/archive/zipsafe"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// Gzip sanitizes the one file in the gzip stream r (RFC 1952) of size
// compressed bytes, passing what Sanitize builds to emit. Its name is the
// one in the gzip header (FNAME, §2.3.1) or else outerName without ".gz"
// (".tgz" becomes ".tar"). A stream of several members is refused.
func (b *Rebuilder) Gzip(ctx context.Context, r io.Reader, size int64, outerName string, emit EmitFunc) (*Summary, error) {
	opts := b.Options.withDefaults()
	bud := b.treeBudget(opts)
	br := bufio.NewReader(r)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, refuse(formatError("gzip: " + err.Error()))
	}
	zr.Multistream(false)
	if err := bud.addEntry(); err != nil {
		return nil, refuse(err)
	}
	name := gunzipName(gzipHeaderName(zr.Name), outerName)
	sum := &Summary{}
	if unsafePath(name) {
		sum.Unsafe = append(sum.Unsafe, name)
	}
	mr := newMemberReader(zr, bud, size, -1, 0, false)
	m := &Member{Name: name, Base: cleanElem(path.Base(strings.ReplaceAll(name, "\\", "/"))), Modified: zr.ModTime, Body: mr}
	res := MemberResult{Name: name}
	n := 0
	v, err := b.Sanitize(ctx, m, func(outName string, kind detect.Kind, body io.Reader) error {
		n++
		res.Outputs = append(res.Outputs, cleanElem(outName))
		return emit(outName, kind, body)
	})
	if terr := bud.Tripped(); terr != nil {
		return sum, refuse(terr)
	}
	if mr.err != nil {
		return sum, refuse(fmt.Errorf("gzip: %w", mr.err))
	}
	if err != nil {
		if ctx.Err() != nil {
			return sum, ctx.Err()
		}
		return sum, err
	}
	if v.Outcome == Delivered {
		// The member was read to its end (RFC 1952 §2.3.1 trailer
		// checked by compress/gzip); nothing may follow it.
		if _, err := io.Copy(io.Discard, mr); err != nil {
			return sum, refuse(fmt.Errorf("gzip: %w", err))
		}
		if _, err := br.Peek(1); err != io.EOF {
			return sum, refuse(formatError("gzip: data after the first member"))
		}
	}
	res.Outcome, res.Reason = v.Outcome, v.Reason
	if v.Outcome == Delivered && n == 0 {
		res.Outcome = Withheld
	}
	sum.Members = append(sum.Members, res)
	if res.Outcome == Delivered {
		sum.Written = n
	}
	return sum, nil
}

// gzipHeaderName recovers the bytes of the FNAME field, which
// compress/gzip reads as ISO 8859-1 (RFC 1952 §2.3.1), and decodes them
// like a zip name.
//
// QUIRK: gzip on Linux writes the file name's bytes as they are, UTF-8
// today, and Japanese Windows tools write CP932; neither is ISO 8859-1.
func gzipHeaderName(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			return s
		}
		b = append(b, byte(r))
	}
	name, _ := zipsafe.DecodeName(b, false, nil, 0, false)
	return name
}

// gunzipName picks the inner file's name.
func gunzipName(header, outer string) string {
	if header != "" {
		return header
	}
	base := path.Base(strings.ReplaceAll(outer, "\\", "/"))
	lower := strings.ToLower(base)
	switch {
	case strings.HasSuffix(lower, ".tgz"):
		return base[:len(base)-4] + ".tar"
	case strings.HasSuffix(lower, ".gz"):
		return base[:len(base)-3]
	case strings.HasSuffix(lower, ".gzip"):
		return base[:len(base)-5]
	}
	return base
}
