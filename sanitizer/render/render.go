package render

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klippa-app/go-pdfium/enums"
	pdfiumerrors "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
)

// Limits bounds the work done for one document. The zero value means
// defaults.
type Limits struct {
	DPI           int   // render resolution; default 150, at most 1200
	MaxPages      int   // default 1000
	MaxPagePixels int64 // pixels of one rendered page; default 50e6 (A0 at 150 dpi is 35e6)
	MaxInputBytes int64 // default 256 MiB
	// Password opens a document encrypted with a user password. Empty
	// tries the empty password, which opens documents that carry only an
	// owner password (restrictions on printing or editing).
	Password string
	// Text is Flatten's invisible text layer (pagetext.go); default none.
	Text TextLayer
	// PageUnits holds, by page index, each page's /UserUnit (ISO 32000-1
	// §7.7.3.3), the size of its unit in points, which PDFium does not
	// report: a page is rendered and written that many times its size in
	// units. A page beyond the slice, or whose unit is not a finite
	// positive number, has units of one point.
	PageUnits []float64
}

// unit is page i's PageUnits.
func (l Limits) unit(i int) float64 {
	if i < len(l.PageUnits) {
		if u := l.PageUnits[i]; u > 0 && !math.IsInf(u, 0) {
			return u
		}
	}
	return 1
}

const (
	bigBitmapBytes = 64 << 20
	maxDPI         = 1200
	maxPageSide    = 1 << 16 // pixels; PDFium's bitmaps use 32-bit sizes
	defaultDPI     = 150
	defaultPages   = 1000
)

func (l Limits) withDefaults() Limits {
	if l.DPI <= 0 {
		l.DPI = defaultDPI
	}
	if l.MaxPages <= 0 {
		l.MaxPages = defaultPages
	}
	if l.MaxPagePixels <= 0 {
		l.MaxPagePixels = 50_000_000
	}
	if l.MaxInputBytes <= 0 {
		l.MaxInputBytes = 256 << 20
	}
	return l
}

// LimitError says which limit a document exceeded. It is returned before
// any page is rendered.
type LimitError struct {
	What  string // "input bytes", "pages", "page pixels", "page side", "dpi"
	Limit int64
	Got   int64
	Page  int // 1-based page number for per-page limits, else 0
}

func (e *LimitError) Error() string {
	if e.Page > 0 {
		return fmt.Sprintf("render: page %d: %s %d exceeds limit %d", e.Page, e.What, e.Got, e.Limit)
	}
	return fmt.Sprintf("render: %s %d exceeds limit %d", e.What, e.Got, e.Limit)
}

var (
	// ErrEncrypted means the document needs a password to be opened, or
	// the one given does not open it.
	ErrEncrypted = errors.New("render: PDF is encrypted with a password")
	// ErrMalformed means PDFium could not parse the document.
	ErrMalformed = errors.New("render: PDF cannot be parsed")
)

// PageInfo is the size of one page as displayed: CropBox, /Rotate and
// Limits.PageUnits applied.
type PageInfo struct {
	Index             int     // 0-based
	WidthPt, HeightPt float64 // in points (1/72 inch)
	WidthPx, HeightPx int     // at Limits.DPI
}

// Page is one rendered page handed to a PageImages callback.
type Page struct {
	PageInfo
	// Image holds opaque pixels (alpha is 255), composited on white. It
	// points into the instance's memory and is valid only during the
	// callback; copy it to keep it.
	Image *image.RGBA
	// Text is the page's own text, when Limits.Text takes it (extract.go).
	Text []Char
}

// PageCount returns the number of pages after checking lim.MaxInputBytes
// and lim.MaxPages.
func (p *Pool) PageCount(ctx context.Context, in io.ReadSeeker, size int64, lim Limits) (int, error) {
	lim = lim.withDefaults()
	if err := checkInput(size, lim); err != nil {
		return 0, err
	}
	inst, err := p.acquire(ctx, true)
	if err != nil {
		return 0, err
	}
	defer inst.release()
	ra, size := withHeader(readerAtOf(in), size)
	doc, err := inst.open(ctx, ra, size, lim.Password)
	if err != nil {
		return 0, err
	}
	n, err := inst.pageCount(doc)
	if err != nil {
		return 0, err
	}
	if n > lim.MaxPages {
		return n, &LimitError{What: "pages", Limit: int64(lim.MaxPages), Got: int64(n)}
	}
	return n, nil
}

// PageImages renders every page and calls fn once per page, in page order,
// one call at a time. Pages are rendered ahead in parallel on free
// instances; at most one rendered page per instance is held in memory.
// An error from fn stops rendering and is returned.
func (p *Pool) PageImages(ctx context.Context, in io.ReadSeeker, size int64, lim Limits, fn func(Page) error) error {
	_, err := p.run(ctx, in, size, lim, false, nil, nil, func(pg Page, _ any) error { return fn(pg) })
	return err
}

func checkInput(size int64, lim Limits) error {
	if lim.DPI > maxDPI {
		return &LimitError{What: "dpi", Limit: maxDPI, Got: int64(lim.DPI)}
	}
	if size > lim.MaxInputBytes {
		return &LimitError{What: "input bytes", Limit: lim.MaxInputBytes, Got: size}
	}
	if size <= 0 {
		return fmt.Errorf("%w: empty input", ErrMalformed)
	}
	return nil
}

// checkPages checks the page count and every page's size in pixels before
// anything is rendered. It returns the pages to render and, 1-based, the
// pages PDFium lists but cannot read (a damaged page object, a page count
// larger than the page tree): those are left out, as a viewer shows
// none of them either. A document none of whose pages can be read is
// malformed.
func (in *instance) checkPages(doc references.FPDF_DOCUMENT, lim Limits) ([]PageInfo, []int, error) {
	n, err := in.pageCount(doc)
	if err != nil {
		return nil, nil, err
	}
	if n > lim.MaxPages {
		return nil, nil, &LimitError{What: "pages", Limit: int64(lim.MaxPages), Got: int64(n)}
	}
	if n == 0 {
		return nil, nil, fmt.Errorf("%w: no pages", ErrMalformed)
	}
	pages := make([]PageInfo, 0, n)
	var skipped []int
	scale := float64(lim.DPI) / 72
	for i := range n {
		res, err := in.FPDF_GetPageSizeByIndexF(&requests.FPDF_GetPageSizeByIndexF{Document: doc, Index: i})
		if err != nil {
			// Render the others, then discard the instance, as after
			// any error.
			in.bad = true
			skipped = append(skipped, i+1)
			continue
		}
		w, h := float64(res.Size.Width)*lim.unit(i), float64(res.Size.Height)*lim.unit(i)
		if !(w > 0 && h > 0) || math.IsInf(w, 0) || math.IsInf(h, 0) {
			return nil, nil, fmt.Errorf("%w: page %d has no size", ErrMalformed, i+1)
		}
		wpx, hpx := math.Ceil(w*scale), math.Ceil(h*scale)
		if side := max(wpx, hpx); side > maxPageSide {
			return nil, nil, &LimitError{What: "page side", Limit: maxPageSide, Got: int64(min(side, math.MaxInt64/2)), Page: i + 1}
		}
		if px := int64(wpx) * int64(hpx); px > lim.MaxPagePixels {
			return nil, nil, &LimitError{What: "page pixels", Limit: lim.MaxPagePixels, Got: px, Page: i + 1}
		}
		pages = append(pages, PageInfo{Index: i, WidthPt: w, HeightPt: h, WidthPx: int(wpx), HeightPx: int(hpx)})
	}
	if len(pages) == 0 {
		return nil, nil, fmt.Errorf("%w: none of its %d pages can be read", ErrMalformed, n)
	}
	return pages, skipped, nil
}

func (in *instance) pageCount(doc references.FPDF_DOCUMENT) (int, error) {
	res, err := in.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc})
	if err != nil {
		in.bad = true
		return 0, fmt.Errorf("%w: page count: %v", ErrMalformed, err)
	}
	return res.PageCount, nil
}

// open opens the document in this instance. Each instance reads through its
// own section reader, so instances can read the same input at once.
func (in *instance) open(ctx context.Context, ra io.ReaderAt, size int64, password string) (references.FPDF_DOCUMENT, error) {
	req := &requests.OpenDocument{
		FileReader:     io.NewSectionReader(ra, 0, size),
		FileReaderSize: size,
	}
	if password != "" {
		req.Password = &password
	}
	res, err := in.OpenDocument(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", context.Cause(ctx)
		}
		switch {
		case errors.Is(err, pdfiumerrors.ErrPassword), errors.Is(err, pdfiumerrors.ErrSecurity):
			return "", ErrEncrypted
		case errors.Is(err, pdfiumerrors.ErrFormat), errors.Is(err, pdfiumerrors.ErrFile),
			errors.Is(err, pdfiumerrors.ErrUnknown), errors.Is(err, pdfiumerrors.ErrPage),
			errors.Is(err, pdfiumerrors.ErrUnexpected), errors.Is(err, pdfiumerrors.ErrSuccess):
			return "", fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		in.bad = true
		return "", fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return res.Document, nil
}

// renderPage renders one page into the instance's memory, at most
// pi.WidthPx × pi.HeightPx (the size the limits were checked against), and
// returns the size it rendered. release must be called when the pixels are
// no longer needed.
func (in *instance) renderPage(doc references.FPDF_DOCUMENT, pi PageInfo) (*image.RGBA, PageInfo, func(), error) {
	res, err := in.RenderPageInPixels(&requests.RenderPageInPixels{
		Page:        requests.Page{ByIndex: &requests.PageByIndex{Document: doc, Index: pi.Index}},
		Width:       pi.WidthPx,
		Height:      pi.HeightPx,
		RenderFlags: enums.FPDF_RENDER_FLAG_ANNOT,
		// Draw form fields with their current values, as a viewer shows them.
		RenderForm: true,
		Document:   &doc,
	})
	if err != nil {
		in.bad = true
		return nil, pi, nil, fmt.Errorf("render: page %d: %w", pi.Index+1, err)
	}
	img, ok := res.Result.RenderedImage.(*image.RGBA)
	if !ok || img.Rect.Min != (image.Point{}) || img.Rect.Dx() < 1 || img.Rect.Dy() < 1 ||
		img.Rect.Dx() > pi.WidthPx || img.Rect.Dy() > pi.HeightPx || len(img.Pix) < 4*img.Rect.Dx()*img.Rect.Dy() {
		res.Cleanup()
		in.bad = true
		return nil, pi, nil, fmt.Errorf("render: page %d: unexpected bitmap", pi.Index+1)
	}
	pi.WidthPx, pi.HeightPx = img.Rect.Dx(), img.Rect.Dy()
	if int64(pi.WidthPx)*int64(pi.HeightPx)*4 > bigBitmapBytes {
		// WebAssembly memory never shrinks: do not keep an instance that
		// grew for a big page idle in the pool.
		in.bad = true
	}
	if res.Result.HasTransparency {
		// QUIRK: go-pdfium fills a page with transparency with transparent
		// black and returns straight (non-premultiplied) RGBA; composite it
		// onto white as a viewer does.
		flattenAlpha(img)
	}
	return img, pi, res.Cleanup, nil
}

func flattenAlpha(img *image.RGBA) {
	pix := img.Pix
	for i := 0; i+3 < len(pix); i += 4 {
		a := uint32(pix[i+3])
		if a == 255 {
			continue
		}
		inv := 255 - a
		pix[i] = uint8((uint32(pix[i])*a + 255*inv + 127) / 255)
		pix[i+1] = uint8((uint32(pix[i+1])*a + 255*inv + 127) / 255)
		pix[i+2] = uint8((uint32(pix[i+2])*a + 255*inv + 127) / 255)
		pix[i+3] = 255
	}
}

// runStats is filled by run.
type runStats struct {
	pages   int
	render  time.Duration // summed over instances
	skipped []int         // pages PDFium lists but cannot read, 1-based
	// With inspect set: the inventory, pages that lost text, and whether
	// the document was encrypted.
	found     map[string]int
	lost      []LostText
	encrypted bool
}

// run opens the document, checks the limits, and renders every page. For
// each page, work (if set) runs on the rendering goroutine, in parallel
// across instances, then ordered runs in page order, one call at a time,
// with work's result. begin, if set, runs once after the limits pass and
// before the first page. With inspect set, run also takes the inventory
// (inventory.go) and checks every rendered page for lost text
// (losttext.go).
func (p *Pool) run(ctx context.Context, in io.ReadSeeker, size int64, lim Limits, inspect bool,
	begin func([]PageInfo) error, work func(Page) (any, error), ordered func(Page, any) error) (runStats, error) {
	st := runStats{found: map[string]int{}}
	lim = lim.withDefaults()
	if err := checkInput(size, lim); err != nil {
		return st, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	first, err := p.acquire(ctx, true)
	if err != nil {
		return st, err
	}
	ra, size := withHeader(readerAtOf(in), size)
	doc, err := first.open(ctx, ra, size, lim.Password)
	if err != nil {
		first.release()
		return st, err
	}
	pages, skipped, err := first.checkPages(doc, lim)
	if err != nil {
		first.release()
		if ctx.Err() != nil {
			return st, context.Cause(ctx)
		}
		return st, err
	}
	st.skipped = skipped
	if inspect {
		st.encrypted = first.docInventory(doc, st.found)
	}
	if begin != nil {
		if err := begin(pages); err != nil {
			first.release()
			return st, err
		}
	}

	var (
		next    atomic.Int64 // next page to claim
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		turn    int // next page allowed into ordered
		failed  error
		wg      sync.WaitGroup
		renderT atomic.Int64
	)
	fail := func(err error) {
		mu.Lock()
		if failed == nil {
			failed = err
			cancel(err)
		}
		cond.Broadcast()
		mu.Unlock()
	}
	// Wake waiters when the ctx ends for any reason.
	stopWake := context.AfterFunc(ctx, func() {
		mu.Lock()
		cond.Broadcast()
		mu.Unlock()
	})
	defer stopWake()

	worker := func(inst *instance, doc references.FPDF_DOCUMENT) {
		defer wg.Done()
		defer inst.release()
		defer func() {
			// A bug must not take the whole process down with one document:
			// fail the document closed and discard the instance.
			if r := recover(); r != nil {
				inst.bad = true
				fail(fmt.Errorf("render: internal error: %v", r))
			}
		}()
		for {
			i := int(next.Add(1) - 1)
			if i >= len(pages) || ctx.Err() != nil {
				return
			}
			t0 := time.Now()
			img, pi, done, err := inst.renderPage(doc, pages[i])
			renderT.Add(int64(time.Since(t0)))
			if err != nil {
				if ctx.Err() != nil {
					err = context.Cause(ctx)
				}
				fail(err)
				return
			}
			if inspect {
				found := map[string]int{}
				page := requests.Page{ByIndex: &requests.PageByIndex{Document: doc, Index: pi.Index}}
				inst.pageInventory(page, found)
				lost := inst.lostText(page, pi, img)
				mu.Lock()
				for c, n := range found {
					st.found[c] += n
				}
				if lost != nil {
					st.lost = append(st.lost, *lost)
				}
				mu.Unlock()
			}
			pg := Page{PageInfo: pi, Image: img}
			if lim.Text.extracts() {
				pg.Text = inst.pageChars(requests.Page{ByIndex: &requests.PageByIndex{Document: doc, Index: pi.Index}}, pi, img.Rect.Dx(), img.Rect.Dy())
			}
			var v any
			if work != nil {
				v, err = work(pg)
			}
			if err != nil {
				done()
				fail(err)
				return
			}
			mu.Lock()
			for turn != i && failed == nil && ctx.Err() == nil {
				cond.Wait()
			}
			if failed != nil || ctx.Err() != nil {
				mu.Unlock()
				done()
				return
			}
			mu.Unlock()
			err = ordered(pg, v)
			done()
			if err != nil {
				fail(err)
				return
			}
			mu.Lock()
			turn++
			cond.Broadcast()
			mu.Unlock()
		}
	}

	wg.Add(1)
	go worker(first, doc)
	// Borrow more instances if they are free, to render pages in parallel.
	for extra := 1; extra < len(pages) && extra < p.opts.Instances; extra++ {
		inst, err := p.acquire(ctx, false)
		if err != nil || inst == nil {
			break
		}
		d, err := inst.open(ctx, ra, size, lim.Password)
		if err != nil {
			inst.release()
			break
		}
		wg.Add(1)
		go worker(inst, d)
	}
	wg.Wait()

	st.pages = turn
	st.render = time.Duration(renderT.Load())
	slices.SortFunc(st.lost, func(a, b LostText) int { return a.Page - b.Page })
	if failed != nil {
		return st, failed
	}
	if err := ctx.Err(); err != nil {
		return st, context.Cause(ctx)
	}
	if turn != len(pages) {
		return st, errors.New("render: not every page was rendered")
	}
	return st, nil
}

// readerAtOf gives concurrent positional reads over in.
func readerAtOf(in io.ReadSeeker) io.ReaderAt {
	if ra, ok := in.(io.ReaderAt); ok {
		return ra
	}
	return &lockedReaderAt{rs: in}
}

type lockedReaderAt struct {
	mu sync.Mutex
	rs io.ReadSeeker
}

func (l *lockedReaderAt) ReadAt(p []byte, off int64) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.rs.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	n, err := io.ReadFull(l.rs, p)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}
