package archive

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mugai-project/mugai/sanitizer/archive/zipsafe"
)

// Tar rebuilds the tar archive read from r as a new zip written to w.
// Regular files are sanitized; folders are kept through their files'
// paths; symbolic and hard links, devices and FIFOs are dropped and
// listed. Names are cleaned as for zip (and decoded from CP932 when they
// are not UTF-8).
func (b *Rebuilder) Tar(ctx context.Context, r io.Reader, w io.Writer) (*Summary, error) {
	opts := b.Options.withDefaults()
	bud := b.treeBudget(opts)
	tr := tar.NewReader(r)
	sink := newZipSink(w)
	sum := &Summary{}
	for {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return sum, refuse(formatError("tar: " + err.Error()))
		}
		// Every header counts, links and folders too: a tar has no
		// directory to bound them beforehand.
		if err := bud.addEntry(); err != nil {
			return sum, refuse(err)
		}
		name, cp := zipsafe.DecodeName([]byte(h.Name), false, nil, 0, false)
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		case tar.TypeDir:
			continue
		case tar.TypeSymlink, tar.TypeLink:
			sum.Members = append(sum.Members, MemberResult{Name: name, Outcome: Dropped, Detail: "link to " + strings.ToValidUTF8(h.Linkname, "\uFFFD")})
			continue
		default:
			sum.Members = append(sum.Members, MemberResult{Name: name, Outcome: Dropped, Detail: fmt.Sprintf("special file (type %q)", h.Typeflag)})
			continue
		}
		if cp {
			sum.CP932++
		}
		// A tar stores files as they are: no ratio to bound, and the
		// size in the header is what the reader delivers (holes in a
		// sparse file count as bytes).
		mr := newMemberReader(tr, bud, -1, h.Size, 0, false)
		if err := b.member(ctx, sum, sink, name, h.ModTime, mr, mr, false); err != nil {
			return sum, err
		}
	}
	if err := sink.close(); err != nil {
		return sum, err
	}
	sum.Written = sink.written
	return sum, nil
}
