package render

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/ocr"
)

// PageReader reads the words of a rendered page: sanitizer/ocr's Engine,
// Tesseract in its sandbox.
type PageReader interface {
	Page(ctx context.Context, img image.Image, dpi int) ([]ocr.Word, error)
}

var _ PageReader = (*ocr.Engine)(nil)

// TextLayer says which text a flattened document's pages carry as an
// invisible layer (textlayer.go).
type TextLayer struct {
	// Mode is "auto" (the page's own text; OCR where a page has none),
	// "extract" (the page's own text only), "ocr" (OCR of every page) or
	// "off" (no layer, the zero value).
	Mode string
	// OCR reads pages; nil when OCR is not available here, and the pages
	// that would need it carry no text.
	OCR PageReader
	// MaxOCRPages bounds the pages of one document read by OCR; the rest
	// carry no text. Default 100.
	MaxOCRPages int
}

// TextStats tells what text a Flatten call's pages got.
type TextStats struct {
	Extracted int   // pages with their own text
	OCR       int   // pages read by OCR
	OCRWords  int   // words OCR found
	Skipped   int   // pages that needed OCR but were not read (unavailable, over MaxOCRPages, out of time, failed)
	OCRErr    error // the first reason a page was not read, if any
	OCRTime   time.Duration
}

// ocrReserve is the time OCR leaves before a document's deadline.
const ocrReserve = 10 * time.Second

// pageText gathers the text layer of one Flatten call; its methods are
// safe for concurrent use and a nil *pageText means no layer.
type pageText struct {
	opts TextLayer
	dpi  int
	mu   sync.Mutex
	st   TextStats
}

// extracts tells whether the mode takes the pages' own text.
func (tl TextLayer) extracts() bool { return tl.Mode == "auto" || tl.Mode == "extract" }

func (tl TextLayer) start(dpi int) *pageText {
	switch tl.Mode {
	case "auto", "extract", "ocr":
	default:
		return nil
	}
	if tl.MaxOCRPages <= 0 {
		tl.MaxOCRPages = 100
	}
	return &pageText{opts: tl, dpi: dpi}
}

// begin gives the document's writer its text layer.
func (pt *pageText) begin(pw *pdfWriter) {
	if pt != nil {
		pw.addTextLayer()
	}
}

func (pt *pageText) stats() TextStats {
	if pt == nil {
		return TextStats{}
	}
	pt.mu.Lock()
	defer pt.mu.Unlock()
	return pt.st
}

// page returns the characters of pg's layer: the page's own text
// (pg.Text) when the mode takes it; else OCR of its pixels when the mode
// asks for it. A page OCR cannot read keeps its image without
// text; only the ctx ending is an error.
func (pt *pageText) page(ctx context.Context, pg Page) ([]Char, error) {
	if pt == nil {
		return nil, nil
	}
	mode, own := pt.opts.Mode, pg.Text
	if len(own) > 0 && mode != "ocr" {
		pt.mu.Lock()
		pt.st.Extracted++
		pt.mu.Unlock()
		return own, nil
	}
	if mode == "extract" {
		return nil, nil
	}
	skip := func(err error) ([]Char, error) {
		pt.mu.Lock()
		defer pt.mu.Unlock()
		pt.st.Skipped++
		if pt.st.OCRErr == nil {
			pt.st.OCRErr = err
		}
		return nil, nil
	}
	if pt.opts.OCR == nil {
		return skip(ocr.ErrUnavailable)
	}
	pt.mu.Lock()
	over := pt.st.OCR >= pt.opts.MaxOCRPages
	pt.mu.Unlock()
	if over {
		return skip(fmt.Errorf("ocr: more than %d pages", pt.opts.MaxOCRPages))
	}
	// OCR leaves the document's last seconds to the rest of the pipeline:
	// a page it cannot read in time is skipped, not the document failed.
	octx := ctx
	if dl, ok := ctx.Deadline(); ok {
		if time.Until(dl) < 2*ocrReserve {
			return skip(fmt.Errorf("ocr: page %d: not enough time left", pg.Index+1))
		}
		var cancel context.CancelFunc
		octx, cancel = context.WithDeadline(ctx, dl.Add(-ocrReserve))
		defer cancel()
	}
	start := time.Now()
	words, err := pt.opts.OCR.Page(octx, pg.Image, pt.dpi)
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("ocr: page %d took too long: %w", pg.Index+1, err)
		}
		return skip(err)
	}
	pt.mu.Lock()
	pt.st.OCR++
	pt.st.OCRWords += len(words)
	pt.st.OCRTime += time.Since(start)
	pt.mu.Unlock()
	b := pg.Image.Bounds()
	return wordChars(words, pg.WidthPt/float64(b.Dx()), pg.HeightPt/float64(b.Dy()), pg.HeightPt), nil
}

// wordChars places OCR words, boxes in pixels from the top left, in page
// space: sx, sy points per pixel, hPt the page height. The words of one
// line become one row of characters over the line's box, as high (or,
// vertical, as wide) as the line, side by side from its start: the
// characters take the line's length in shares of their width (one for a
// full-width character, a half for others), so that consecutive boxes
// abut and share the line's baseline, and a reader neither puts a space
// between two characters nor breaks the line where the page has neither.
// Between words a space is added unless a side is Japanese (which has
// none). Tesseract's word boxes are not used: in Japanese they are often
// wrong (a box over the next word, or a sliver for three characters),
// and characters placed in them go out of order or get spaces between
// them. Where it falls short: words far apart on one line (a form's
// label and its value) are placed evenly over the line, read and found
// right but highlighted off their ink.
func wordChars(words []ocr.Word, sx, sy, hPt float64) []Char {
	var out []Char
	for len(words) > 0 {
		n := 1
		for n < len(words) && words[n].Line == words[0].Line {
			n++
		}
		out = lineChars(out, words[:n], sx, sy, hPt)
		words = words[n:]
	}
	return out
}

// lineChars appends the characters of the words of one line.
func lineChars(out []Char, words []ocr.Word, sx, sy, hPt float64) []Char {
	var text []rune
	for i, w := range words {
		if i > 0 {
			last := text[len(text)-1]
			if first, _ := utf8.DecodeRuneInString(w.Text); !unspaced(last) && !unspaced(first) {
				text = append(text, ' ')
			}
		}
		text = append(text, []rune(w.Text)...)
	}
	share := func(r rune) float64 {
		if k := width.LookupRune(r).Kind(); k == width.EastAsianWide || k == width.EastAsianFullwidth {
			return 1
		}
		return 0.5
	}
	var total float64
	for _, r := range text {
		total += share(r)
	}
	lb := words[0].LineBox
	x0, x1 := float64(lb.Min.X)*sx, float64(lb.Max.X)*sx
	top, bottom := hPt-float64(lb.Min.Y)*sy, hPt-float64(lb.Max.Y)*sy
	var done float64
	for _, r := range text {
		from, to := done/total, (done+share(r))/total
		done += share(r)
		if words[0].Vertical {
			out = append(out, Char{R: r, X0: x0, Y0: top - (top-bottom)*to, X1: x1, Y1: top - (top-bottom)*from, Vertical: true})
			continue
		}
		out = append(out, Char{R: r, X0: x0 + (x1-x0)*from, Y0: bottom, X1: x0 + (x1-x0)*to, Y1: top})
	}
	return out
}

// unspaced tells characters of scripts written without spaces between
// words: Han, kana and the CJK punctuation and full-width forms.
func unspaced(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) ||
		(r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}

// textNotes notes on the report which pages got a text layer and why
// others did not.
func textNotes(job *sanitizer.Job, st TextStats) {
	if st.Extracted > 0 {
		job.Note(fmt.Sprintf("%d pages carry their own text as an invisible layer", st.Extracted))
	}
	if st.OCR > 0 {
		job.Note(fmt.Sprintf("%d pages were read by OCR (%d words) for an invisible text layer", st.OCR, st.OCRWords))
	}
	switch {
	case st.Skipped == 0:
	case errors.Is(st.OCRErr, ocr.ErrUnavailable):
		job.Note(fmt.Sprintf("OCR is not available on this server: %d pages without text carry no text layer", st.Skipped))
	default:
		job.Note(fmt.Sprintf("%d pages without text carry no text layer: %v", st.Skipped, st.OCRErr))
	}
}
