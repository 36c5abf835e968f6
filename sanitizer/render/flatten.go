package render

import (
	"context"
	"io"
	"time"
)

// Encoding names how one page's image was stored.
type Encoding string

const (
	// EncGray is grayscale of Options.GrayBits, Flate: text and line art
	// without colour. With light gray fills, which evenly spaced levels
	// of 2 bits would store as white, the levels are black, white and the
	// page's two commonest grays.
	EncGray Encoding = "gray-flate"
	// EncIndexed is a palette of at most 16 (4-bit) or 256 (8-bit)
	// colours, each component rounded to 4 bits, Flate: coloured text and
	// line art.
	EncIndexed Encoding = "indexed-flate"
	// EncRGB4 is 4 bits per RGB component, Flate: text and line art with a
	// small picture.
	EncRGB4 Encoding = "rgb4-flate"
	// EncG4 is black and white, CCITT Group 4 (ITU-T T.6): black text and
	// line art without colour or gray areas.
	EncG4 Encoding = "bilevel-g4"
	// EncGrayJPEG is grayscale DCT: photographic pages without colour.
	EncGrayJPEG Encoding = "gray-dct"
	// EncJPEG is YCbCr DCT: photographic pages.
	EncJPEG Encoding = "rgb-dct"
	// EncLayered is black and white, CCITT G4, drawn as a stencil mask
	// over images of the few places in colour or gray, each stored as its
	// pixels need: text pages with a seal, a logo or a shaded cell.
	EncLayered Encoding = "g4-layered"
)

// Stats describes one Flatten call.
type Stats struct {
	Pages      int
	BytesIn    int64
	BytesOut   int64
	Encodings  map[Encoding]int // pages per encoding
	RenderTime time.Duration    // time spent in PDFium, summed over instances
	Elapsed    time.Duration
	// Encrypted says the document was encrypted (and opened with
	// Limits.Password or the empty password).
	Encrypted bool
	// Removed counts, by category, the active content that PDFium saw
	// and that the image-only output leaves out (see inventory.go).
	Removed map[string]int
	// LostText lists the pages, in order, whose text did not render.
	LostText []LostText
	// Skipped lists the pages (1-based) that PDFium counts but cannot
	// read, left out of the output.
	Skipped []int

	// JPEGQuality counts the pages with a JPEG image by its quality,
	// chosen from the content: lower for photographs throughout, higher
	// where text or line art is drawn as well.
	JPEGQuality map[int]int
	// Text tells which pages got an invisible text layer.
	Text TextStats
}

// Flatten renders every page of the PDF in and writes to out a new PDF whose
// pages each hold only one image of the rendered page, drawn at the page's
// displayed size. Pages are streamed: at most one rendered and one encoded
// page per instance are held in memory. On error, out holds a partial PDF
// that must be discarded.
func (p *Pool) Flatten(ctx context.Context, in io.ReadSeeker, size int64, out io.Writer, lim Limits) (Stats, error) {
	start := time.Now()
	st := Stats{BytesIn: size, Encodings: map[Encoding]int{}, JPEGQuality: map[int]int{}}
	var pw *pdfWriter
	text := lim.Text.start(lim.withDefaults().DPI)
	type page struct {
		*encodedPage
		text []Char
	}
	rs, err := p.run(ctx, in, size, lim, true,
		func([]PageInfo) error {
			pw = newPDFWriter(out)
			text.begin(pw)
			return pw.err
		},
		func(pg Page) (any, error) {
			chars, err := text.page(ctx, pg)
			if err != nil {
				return nil, err
			}
			e, err := encodePage(pg.Image, p.opts.encodeOptions())
			return page{e, chars}, err
		},
		func(pg Page, v any) error {
			e := v.(page)
			defer e.free()
			st.Encodings[e.enc]++
			if e.quality > 0 {
				st.JPEGQuality[e.quality]++
			}
			return pw.page(pg.WidthPt, pg.HeightPt, pg.WidthPx, pg.HeightPx, &e.img, e.regions, e.text)
		})
	st.Text = text.stats()
	st.Pages = rs.pages
	st.RenderTime = rs.render
	st.Encrypted, st.Removed, st.LostText, st.Skipped = rs.encrypted, rs.found, rs.lost, rs.skipped
	if err == nil {
		err = pw.finish()
	}
	if pw != nil {
		st.BytesOut = pw.n
	}
	st.Elapsed = time.Since(start)
	return st, err
}

func (o Options) encodeOptions() encodeOptions {
	return encodeOptions{grayBits: o.GrayBits, bilevelScale: max(o.BilevelScale, 0)}
}
