package render

import (
	"bytes"
	"cmp"
	"compress/zlib"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
)

// Encoding names how one page's image was stored.
type Encoding string

const (
	// EncGray4 is 4-bit grayscale, Flate with the PNG Up predictor: text
	// and line art without colour. Sixteen levels keep anti-aliased glyph
	// edges while compressing ten times better than eight bits.
	EncGray4 Encoding = "gray4-flate"
	// EncIndexed is a palette of at most 16 (4-bit) or 256 (8-bit)
	// colours, each component rounded to 4 bits, Flate with the PNG Up
	// predictor: coloured text and line art.
	EncIndexed Encoding = "indexed-flate"
	// EncRGB4 is 4 bits per RGB component, Flate with the PNG Up
	// predictor: pages with more colours that JPEG does not shrink.
	EncRGB4 Encoding = "rgb4-flate"
	// EncGrayJPEG is grayscale DCT: photographic pages without colour.
	EncGrayJPEG Encoding = "gray-dct"
	// EncJPEG is YCbCr DCT: photographic pages.
	EncJPEG Encoding = "rgb-dct"
)

// JPEGQuality is the DCT quality used for photographic pages.
const JPEGQuality = 85

// Stats describes one Flatten call.
type Stats struct {
	Pages      int
	BytesIn    int64
	BytesOut   int64
	Encodings  map[Encoding]int // pages per encoding
	RenderTime time.Duration    // time spent in PDFium, summed over instances
	Elapsed    time.Duration
}

// Flatten renders every page of the PDF in and writes to out a new PDF whose
// pages each hold only one image of the rendered page, drawn at the page's
// displayed size. Pages are streamed: at most one rendered and one encoded
// page per instance are held in memory. On error, out holds a partial PDF
// that must be discarded.
func (p *Pool) Flatten(ctx context.Context, in io.ReadSeeker, size int64, out io.Writer, lim Limits) (Stats, error) {
	start := time.Now()
	st := Stats{BytesIn: size, Encodings: map[Encoding]int{}}
	var pw *pdfWriter
	rs, err := p.run(ctx, in, size, lim,
		func([]PageInfo) error {
			pw = newPDFWriter(out)
			return pw.err
		},
		func(pg Page) (any, error) {
			return encodePage(pg.Image)
		},
		func(pg Page, v any) error {
			e := v.(*encodedPage)
			defer e.free()
			st.Encodings[e.enc]++
			return pw.page(pg.WidthPt, pg.HeightPt, &e.img)
		})
	st.Pages = rs.pages
	st.RenderTime = rs.render
	if err == nil {
		err = pw.finish()
	}
	if pw != nil {
		st.BytesOut = pw.n
	}
	st.Elapsed = time.Since(start)
	return st, err
}

type encodedPage struct {
	enc Encoding
	img pdfImage
	buf *bytes.Buffer
}

func (e *encodedPage) free() {
	e.buf.Reset()
	bufPool.Put(e.buf)
}

var (
	bufPool     = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	scratchPool = sync.Pool{New: func() any { return new([]byte) }}
)

// isGray reports whether every pixel is neutral (within 2 levels, to
// tolerate colour management).
func isGray(img *image.RGBA) bool {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x := 0; x < len(row); x += 4 {
			r, g, b := row[x], row[x+1], row[x+2]
			if (r != g || g != b) && (absDiff(r, g) > 2 || absDiff(g, b) > 2) {
				return false
			}
		}
	}
	return true
}

func absDiff(a, b uint8) uint8 {
	if a > b {
		return a - b
	}
	return b - a
}

// photoBitsPerPixel is the lossless size above which a page is also tried
// as JPEG: text pages take about 0.15 bit a pixel at 150 dpi, photographs
// several bits.
const photoBitsPerPixel = 1

// encodePage encodes the page losslessly at 4 bits per component (gray when
// the page has no colour); if that is large, as for photographs and scans,
// it also tries JPEG and keeps the smaller.
func encodePage(img *image.RGBA) (*encodedPage, error) {
	gray := isGray(img)
	w, h := img.Rect.Dx(), img.Rect.Dy()
	buf := bufPool.Get().(*bytes.Buffer)
	e := &encodedPage{buf: buf, img: pdfImage{Width: w, Height: h, BPC: 4, Filter: "/FlateDecode"}}
	var err error
	switch pal, ok := palette(img, gray); {
	case gray:
		e.enc, e.img.ColorSpace = EncGray4, "/DeviceGray"
		e.img.DecodeParms = fmt.Sprintf("<< /Predictor 15 /Colors 1 /BitsPerComponent 4 /Columns %d >>", w)
		err = flate4(buf, img, true)
	case ok:
		e.enc, e.img.BPC = EncIndexed, pal.bits
		e.img.ColorSpace = pal.colorSpace()
		e.img.DecodeParms = fmt.Sprintf("<< /Predictor 15 /Colors 1 /BitsPerComponent %d /Columns %d >>", pal.bits, w)
		err = flateIndexed(buf, img, pal)
	default:
		e.enc, e.img.ColorSpace = EncRGB4, "/DeviceRGB"
		e.img.DecodeParms = fmt.Sprintf("<< /Predictor 15 /Colors 3 /BitsPerComponent 4 /Columns %d >>", w)
		err = flate4(buf, img, false)
	}
	if err != nil {
		e.free()
		return nil, fmt.Errorf("render: encode page: %w", err)
	}
	if int64(buf.Len())*8 > int64(w)*int64(h)*photoBitsPerPixel {
		jb := bufPool.Get().(*bytes.Buffer)
		if gray {
			err = withScratch(w*h, func(s []byte) error {
				g := &image.Gray{Pix: s, Stride: w, Rect: image.Rect(0, 0, w, h)}
				toGray(img, g.Pix)
				return jpeg.Encode(jb, g, &jpeg.Options{Quality: JPEGQuality})
			})
		} else {
			err = jpeg.Encode(jb, img, &jpeg.Options{Quality: JPEGQuality})
		}
		if err != nil {
			jb.Reset()
			bufPool.Put(jb)
			e.free()
			return nil, fmt.Errorf("render: encode page: %w", err)
		}
		if jb.Len() < buf.Len() {
			buf.Reset()
			bufPool.Put(buf)
			e.buf = jb
			e.img.BPC, e.img.Filter, e.img.DecodeParms = 8, "/DCTDecode", ""
			e.enc = EncJPEG
			if gray {
				e.enc = EncGrayJPEG
			}
		} else {
			jb.Reset()
			bufPool.Put(jb)
		}
	}
	e.img.Data = e.buf.Bytes()
	return e, nil
}

func withScratch(n int, fn func([]byte) error) error {
	sp := scratchPool.Get().(*[]byte)
	if cap(*sp) < n {
		*sp = make([]byte, n)
	}
	err := fn((*sp)[:n])
	scratchPool.Put(sp)
	return err
}

// toGray converts with the Rec. 601 luma weights (as image/color does).
func toGray(img *image.RGBA, dst []byte) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		d := dst[y*w : (y+1)*w]
		for x := range d {
			r, g, b := uint32(row[4*x]), uint32(row[4*x+1]), uint32(row[4*x+2])
			d[x] = uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 16)
		}
	}
}

// q4 rounds an 8-bit level to 4 bits.
func q4(v uint8) uint8 { return uint8((uint32(v) + 8) / 17) }

// flate4 writes rows of 4-bit samples (gray: R of each neutral pixel; else
// R, G, B) with the PNG Up predictor (ISO 32000-1 §7.4.4.4, Predictor 15:
// a filter-type byte leads each row), zlib-compressed.
func flate4(w io.Writer, img *image.RGBA, gray bool) error {
	width, h := img.Rect.Dx(), img.Rect.Dy()
	samples := width
	if !gray {
		samples = 3 * width
	}
	rowLen := (samples + 1) / 2
	zw, err := zlib.NewWriterLevel(w, zlib.DefaultCompression)
	if err != nil {
		return err
	}
	prev := make([]byte, rowLen)
	cur := make([]byte, rowLen)
	line := make([]byte, rowLen+1)
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*width]
		if gray {
			for x := 0; x+1 < width; x += 2 {
				cur[x/2] = q4(row[4*x])<<4 | q4(row[4*x+4])
			}
			if width&1 == 1 {
				cur[rowLen-1] = q4(row[4*(width-1)]) << 4
			}
		} else {
			// Two pixels (six samples) fill three bytes.
			o := 0
			x := 0
			for ; x+1 < width; x += 2 {
				p := row[4*x : 4*x+7]
				cur[o] = q4(p[0])<<4 | q4(p[1])
				cur[o+1] = q4(p[2])<<4 | q4(p[4])
				cur[o+2] = q4(p[5])<<4 | q4(p[6])
				o += 3
			}
			if x < width {
				p := row[4*x : 4*x+3]
				cur[o] = q4(p[0])<<4 | q4(p[1])
				cur[o+1] = q4(p[2]) << 4
			}
		}
		line[0] = 2 // Up
		for i := range cur {
			line[i+1] = cur[i] - prev[i]
		}
		if _, err := zw.Write(line); err != nil {
			return err
		}
		prev, cur = cur, prev
	}
	return zw.Close()
}

// pagePalette maps 4-bit-rounded RGB colours (r<<8|g<<4|b) to palette
// indices.
type pagePalette struct {
	index  [4096]uint8
	colors []uint16
	bits   int // 4 (at most 16 colours) or 8
}

// Palette choice: a page whose colours (rounded to 4 bits a component)
// number at most 16 gets an exact 4-bit palette. Otherwise (typically 16
// grays of anti-aliased black text plus a few colours and their blends) a
// 4-bit palette of the most frequent distinct colours is tried, and kept if
// almost no pixel (paletteMaxFar) lands far (paletteFar) from its colour;
// else an exact 8-bit palette if there are at most 256 colours. Four-bit
// samples matter: text pages compress about five times better at 4 bits a
// pixel than at 8.
const (
	paletteFar    = 3   // nibble levels (about 51 of 255) on any component
	paletteMaxFar = 500 // at most one pixel in paletteMaxFar may be far
)

// palette chooses a palette for the page, or returns ok false.
func palette(img *image.RGBA, gray bool) (p *pagePalette, ok bool) {
	if gray {
		return nil, false
	}
	var hist [4096]uint32
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x := 0; x < len(row); x += 4 {
			hist[uint16(q4(row[x]))<<8|uint16(q4(row[x+1]))<<4|uint16(q4(row[x+2]))]++
		}
	}
	var used []uint16
	for c, n := range hist {
		if n > 0 {
			used = append(used, uint16(c))
		}
	}
	p = &pagePalette{}
	if len(used) <= 16 {
		p.bits, p.colors = 4, used
		for i, c := range used {
			p.index[c] = uint8(i)
		}
		return p, true
	}

	// Most frequent first; pick colours at least two levels apart.
	slices.SortFunc(used, func(a, b uint16) int { return cmp.Compare(hist[b], hist[a]) })
	picked := make([]uint16, 0, 16)
	for _, c := range used {
		if len(picked) == 16 {
			break
		}
		if d, _ := nearest(c, picked); len(picked) == 0 || d >= 2 {
			picked = append(picked, c)
		}
	}
	var far uint64
	for _, c := range used {
		d, i := nearest(c, picked)
		p.index[c] = uint8(i)
		if d >= paletteFar {
			far += uint64(hist[c])
		}
	}
	if far*paletteMaxFar <= uint64(w)*uint64(h) {
		p.bits, p.colors = 4, picked
		return p, true
	}
	if len(used) > 256 {
		return nil, false
	}
	p.bits, p.colors = 8, used
	for i, c := range used {
		p.index[c] = uint8(i)
	}
	return p, true
}

// nearest returns the distance (largest component difference, in 4-bit
// levels) from c to the closest of cs, and its index.
func nearest(c uint16, cs []uint16) (int, int) {
	best, bi := 16, 0
	for i, o := range cs {
		d := max(absDiff(uint8(c>>8), uint8(o>>8)), absDiff(uint8(c>>4&15), uint8(o>>4&15)), absDiff(uint8(c&15), uint8(o&15)))
		if int(d) < best {
			best, bi = int(d), i
		}
	}
	return best, bi
}

// colorSpace is the Indexed colour space (ISO 32000-1 §8.6.6.3) with the
// palette as a hex string.
func (p *pagePalette) colorSpace() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[/Indexed /DeviceRGB %d <", len(p.colors)-1)
	for _, c := range p.colors {
		fmt.Fprintf(&b, "%02X%02X%02X", 17*(c>>8), 17*(c>>4&15), 17*(c&15))
	}
	b.WriteString(">]")
	return b.String()
}

// flateIndexed writes 4- or 8-bit palette indices with the PNG Up
// predictor.
func flateIndexed(w io.Writer, img *image.RGBA, p *pagePalette) error {
	width, h := img.Rect.Dx(), img.Rect.Dy()
	rowLen := width
	if p.bits == 4 {
		rowLen = (width + 1) / 2
	}
	zw, err := zlib.NewWriterLevel(w, zlib.DefaultCompression)
	if err != nil {
		return err
	}
	prev := make([]byte, rowLen)
	cur := make([]byte, rowLen)
	line := make([]byte, rowLen+1)
	idx := func(px []byte) byte {
		return p.index[uint16(q4(px[0]))<<8|uint16(q4(px[1]))<<4|uint16(q4(px[2]))]
	}
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*width]
		if p.bits == 4 {
			clear(cur)
			for x := 0; x < width; x++ {
				v := idx(row[4*x:])
				if x&1 == 0 {
					cur[x/2] = v << 4
				} else {
					cur[x/2] |= v
				}
			}
		} else {
			for x := range cur {
				cur[x] = idx(row[4*x:])
			}
		}
		line[0] = 2 // Up
		for i := range cur {
			line[i+1] = cur[i] - prev[i]
		}
		if _, err := zw.Write(line); err != nil {
			return err
		}
		prev, cur = cur, prev
	}
	return zw.Close()
}
