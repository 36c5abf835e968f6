package render

import (
	"context"
	"fmt"
	"image"
	"io"
	"math"
)

// FirstPage renders page 1 of a PDF, width pixels across (its height
// keeps the page's proportions), for a person to look at before deciding
// on it: an approver's preview of a sanitized output. It renders as
// Flatten does, in the sandbox, whatever the page is made of (one image,
// a black-and-white mask over colour regions, a text layer). The image
// is the caller's.
func (p *Pool) FirstPage(ctx context.Context, in io.ReadSeeker, size int64, width int) (*image.RGBA, error) {
	if width < 1 || width > maxPageSide {
		return nil, fmt.Errorf("render: preview width %d", width)
	}
	lim := Limits{}.withDefaults()
	if err := checkInput(size, lim); err != nil {
		return nil, err
	}
	inst, err := p.acquire(ctx, true)
	if err != nil {
		return nil, err
	}
	defer inst.release()
	ra, size := withHeader(readerAtOf(in), size)
	doc, err := inst.open(ctx, ra, size, "")
	if err != nil {
		return nil, err
	}
	pages, _, err := inst.checkPages(doc, lim)
	if err != nil {
		return nil, err
	}
	pi := pages[0]
	pi.WidthPx = width
	pi.HeightPx = int(math.Ceil(pi.HeightPt * float64(width) / pi.WidthPt))
	if int64(pi.WidthPx)*int64(pi.HeightPx) > lim.MaxPagePixels {
		return nil, &LimitError{What: "page pixels", Limit: lim.MaxPagePixels, Got: int64(pi.WidthPx) * int64(pi.HeightPx), Page: 1}
	}
	img, _, done, err := inst.renderPage(doc, pi)
	if err != nil {
		return nil, err
	}
	defer done()
	out := image.NewRGBA(img.Rect)
	for y := range img.Rect.Dy() {
		copy(out.Pix[y*out.Stride:y*out.Stride+4*img.Rect.Dx()], img.Pix[y*img.Stride:])
	}
	return out, nil
}

// Preview is FirstPage on the Flattener's pool, started if need be.
func (f *Flattener) Preview(ctx context.Context, in io.ReadSeeker, size int64, width int) (*image.RGBA, error) {
	pool, err := f.start(ctx)
	if err != nil {
		return nil, err
	}
	return pool.FirstPage(ctx, in, size, width)
}
