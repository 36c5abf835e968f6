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
// space: sx, sy points per pixel, hPt the page height. Each word's box is
// shared evenly among its characters, along the line, as high as the
// line; between words of a line a space is added unless a side is
// Japanese (which has none). The characters of a vertical line share the
// line's box instead, as wide as the line and evenly from its top. Word
// boxes across a line are rough (of uneven height, or, vertical, too
// short and of uneven width), and characters that stray from their line
// are read out of order.
func wordChars(words []ocr.Word, sx, sy, hPt float64) []Char {
	var out []Char
	inLine := map[int]int{} // a vertical line's characters
	for _, w := range words {
		if w.Vertical {
			inLine[w.Line] += utf8.RuneCountInString(w.Text)
		}
	}
	k := 0 // the next character's place in its vertical line
	for i, w := range words {
		if i > 0 && words[i-1].Line != w.Line {
			k = 0
		}
		if w.Vertical {
			lb := w.LineBox
			x0, x1 := float64(lb.Min.X)*sx, float64(lb.Max.X)*sx
			top, pitch := hPt-float64(lb.Min.Y)*sy, float64(lb.Dy())*sy/float64(inLine[w.Line])
			for _, r := range w.Text {
				out = append(out, Char{R: r, X0: x0, Y0: top - float64(k+1)*pitch, X1: x1, Y1: top - float64(k)*pitch, Vertical: true})
				k++
			}
			continue
		}
		x0, x1 := float64(w.Box.Min.X)*sx, float64(w.Box.Max.X)*sx
		y0, y1 := hPt-float64(w.LineBox.Max.Y)*sy, hPt-float64(w.LineBox.Min.Y)*sy
		if i > 0 && words[i-1].Line == w.Line {
			prev := words[i-1]
			last, _ := utf8.DecodeLastRuneInString(prev.Text)
			first, _ := utf8.DecodeRuneInString(w.Text)
			if px1 := float64(prev.Box.Max.X) * sx; !unspaced(last) && !unspaced(first) && x0 > px1 {
				out = append(out, Char{R: ' ', X0: px1, Y0: y0, X1: x0, Y1: y1})
			}
		}
		n := float64(utf8.RuneCountInString(w.Text))
		for j, r := range []rune(w.Text) {
			out = append(out, Char{R: r, X0: x0 + (x1-x0)*float64(j)/n, Y0: y0, X1: x0 + (x1-x0)*float64(j+1)/n, Y1: y1})
		}
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
