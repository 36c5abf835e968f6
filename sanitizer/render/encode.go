package render

import (
	"bytes"
	"cmp"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"slices"
	"strings"
	"sync"
)

// Page images are stored losslessly when they are text or line art and as
// JPEG when they are photographs or scans:
//
//  1. One pass rounds every pixel to 4 bits a component (a 12-bit colour
//     code) and counts the codes.
//  2. A page whose codes are all neutral is black and white, thresholded
//     and CCITT G4 coded, if it has no gray areas (bilevelLike), else gray
//     (Options.GrayBits, 2 bits by default). Otherwise a palette
//     is chosen (see palette) and the page is 4- or 8-bit Indexed; with
//     more than 256 colours it is JPEG if they are spread as in a
//     photograph (photoLike), else 4-bit RGB.
//  3. The samples are packed in rows and zlib-compressed (ISO 32000-1
//     §7.4.4). No predictor: on anti-aliased text the PNG Up predictor made
//     the output 7 to 13% larger.
//  4. If that takes more than photoBitsPerPixel, JPEG is tried as well and
//     the smaller kept.
//
// Few bits a sample matter. Measured on dense A4 pages at 150 dpi, deflated:
//
//	bits per pixel      1      2      4      8
//	Latin text        10 KB  19 KB  32 KB  268 KB
//	Japanese text     66 KB 117 KB 221 KB  402 KB
//
// Two bits (four levels) keep anti-aliased glyph edges readable; one bit is
// the smallest; four bits look like the original. (The Latin page repeats
// its lines, which Flate finds; real documents do not.)
//
// CCITT G4 codes a thresholded page two to three times smaller than 2-bit
// Flate on real documents, and is cheaper to compute than deflate. Bytes a
// page at 150 dpi (generated: fonts not embedded; office: LibreOffice
// output with embedded subsets, 5 KB (Latin) and 22 KB (Japanese) a page):
//
//	                      2-bit gray   G4 150 dpi   G4 300 dpi (enlarged)
//	Japanese 9 pt           116 KB       64 KB        109 KB
//	Japanese 10.5 pt        108 KB       53 KB         94 KB
//	office Japanese          95 KB       44 KB         78 KB
//	office Latin 10 pt       68 KB       36 KB         61 KB
//	generated Latin          20 KB       49 KB         94 KB
//
// Thresholding at 150 dpi keeps 9 pt Mincho readable (see g4Threshold);
// enlarging to 300 dpi before thresholding (Options.BilevelScale 2) gives
// smoother edges when zoomed in, but not more legible text at 100%, for
// 1.7 times the bytes.

// photoBitsPerPixel is the lossless size above which a page is also tried
// as JPEG: text pages take about 0.15 bit a pixel at 150 dpi, photographs
// several bits.
const photoBitsPerPixel = 1

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
	bufPool   = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	codesPool = sync.Pool{New: func() any { return new([]uint16) }}
	zlibPool  = sync.Pool{New: func() any { return zlib.NewWriter(io.Discard) }}
)

// q4 rounds an 8-bit level to 4 bits.
func q4(v uint8) uint16 { return uint16((uint32(v) + 8) / 17) }

// encodePage chooses the encoding from the pixels and encodes them.
func encodePage(img *image.RGBA, opt encodeOptions) (*encodedPage, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	cp := codesPool.Get().(*[]uint16)
	defer codesPool.Put(cp)
	if cap(*cp) < w*h {
		*cp = make([]uint16, w*h)
	}
	codes := (*cp)[:w*h]

	var hist [4096]uint32
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		cr := codes[y*w : (y+1)*w]
		for x := 0; x < len(cr); x++ {
			// Fast path: two white pixels (most of a text page).
			if x+1 < len(cr) && binary.LittleEndian.Uint64(row[4*x:]) == ^uint64(0) {
				cr[x], cr[x+1] = 0xfff, 0xfff
				hist[0xfff] += 2
				x++
				continue
			}
			c := q4(row[4*x])<<8 | q4(row[4*x+1])<<4 | q4(row[4*x+2])
			cr[x] = c
			hist[c]++
		}
	}
	gray := true
	for c, n := range hist {
		if n > 0 && (c>>8 != c>>4&15 || c>>4&15 != c&15) {
			gray = false
			break
		}
	}

	buf := bufPool.Get().(*bytes.Buffer)
	e := &encodedPage{buf: buf, img: pdfImage{Width: w, Height: h, BPC: 4, Filter: "/FlateDecode"}}
	var err error
	var lut [4096]uint8
	bilevel := gray && opt.bilevelScale > 0 && bilevelLike(&hist, w*h)
	if bilevel {
		// G4 of noise (a dithered scan) can exceed the raw samples: stop
		// at the size of raw 2-bit gray and store the page as gray.
		s := opt.bilevelScale
		lw := &limitWriter{w: buf, n: int64(w) * int64(h) / 4}
		switch err := g4Codes(lw, codes, w, h, s); {
		case err == nil:
			e.enc, e.img.ColorSpace, e.img.BPC = EncG4, "/DeviceGray", 1
			e.img.Width, e.img.Height = w*s, h*s
			e.img.Filter = "/CCITTFaxDecode"
			// §7.4.6 table 11: K < 0 is pure two-dimensional (Group 4);
			// BlackIs1 false (0 is black, as in DeviceGray), EndOfBlock
			// true.
			e.img.DecodeParms = fmt.Sprintf("<< /K -1 /Columns %d /Rows %d >>", w*s, h*s)
			e.img.Data = buf.Bytes()
			return e, nil
		case errors.Is(err, errG4TooBig):
			buf.Reset()
		default:
			e.free()
			return nil, fmt.Errorf("render: encode page: %w", err)
		}
	}
	switch pal, ok := palette(&hist, gray, w*h); {
	case gray:
		grayBits := opt.grayBits
		e.enc, e.img.ColorSpace, e.img.BPC = EncGray, "/DeviceGray", grayBits
		top := uint32(1)<<grayBits - 1
		for c := range lut {
			lut[c] = uint8((uint32(c&15)*top + 7) / 15)
		}
		err = flateCodes(buf, codes, w, h, &lut, grayBits)
	case ok:
		e.enc, e.img.BPC = EncIndexed, pal.bits
		e.img.ColorSpace = pal.colorSpace()
		err = flateCodes(buf, codes, w, h, &pal.index, pal.bits)
	case photoLike(&hist, w*h):
		// Continuous tone: lossless would be large and slow to deflate.
		buf.Reset()
		if err := jpeg.Encode(buf, img, &jpeg.Options{Quality: JPEGQuality}); err != nil {
			e.free()
			return nil, fmt.Errorf("render: encode page: %w", err)
		}
		e.enc, e.img.ColorSpace = EncJPEG, "/DeviceRGB"
		e.img.BPC, e.img.Filter = 8, "/DCTDecode"
		e.img.Data = buf.Bytes()
		return e, nil
	default:
		e.enc, e.img.ColorSpace = EncRGB4, "/DeviceRGB"
		err = flateCodes(buf, codes, w, h, nil, 12)
	}
	if err != nil {
		e.free()
		return nil, fmt.Errorf("render: encode page: %w", err)
	}

	if int64(buf.Len())*8 > int64(w)*int64(h)*photoBitsPerPixel {
		jb := bufPool.Get().(*bytes.Buffer)
		var m image.Image = img
		if gray {
			g := &image.Gray{Pix: make([]byte, w*h), Stride: w, Rect: image.Rect(0, 0, w, h)}
			toGray(img, g.Pix)
			m = g
		}
		if err := jpeg.Encode(jb, m, &jpeg.Options{Quality: JPEGQuality}); err != nil {
			jb.Reset()
			bufPool.Put(jb)
			e.free()
			return nil, fmt.Errorf("render: encode page: %w", err)
		}
		if jb.Len() < buf.Len() {
			e.free()
			e.buf = jb
			e.img.BPC, e.img.Filter = 8, "/DCTDecode"
			e.enc, e.img.ColorSpace = EncJPEG, "/DeviceRGB"
			if gray {
				e.enc, e.img.ColorSpace = EncGrayJPEG, "/DeviceGray"
			}
		} else {
			jb.Reset()
			bufPool.Put(jb)
		}
	}
	e.img.Data = e.buf.Bytes()
	return e, nil
}

// photoLike reports whether the 256 most frequent colours cover less than
// 90% of the page: its colours are spread as in a photograph, not
// concentrated as in text and line art with a small picture.
func photoLike(hist *[4096]uint32, pixels int) bool {
	counts := make([]uint32, 0, len(hist))
	for _, n := range hist {
		if n > 0 {
			counts = append(counts, n)
		}
	}
	if len(counts) <= 256 {
		return false
	}
	slices.SortFunc(counts, func(a, b uint32) int { return cmp.Compare(b, a) })
	var top uint64
	for _, n := range counts[:256] {
		top += uint64(n)
	}
	return top*10 < uint64(pixels)*9
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

// flateCodes packs the colour codes row by row, mapped through lut to 1-,
// 2-, 4- or 8-bit samples, or (bits 12, lut nil) as three 4-bit RGB
// samples, and zlib-compresses them into w. Rows start on a byte boundary
// (ISO 32000-1 §8.9.5.2).
func flateCodes(w io.Writer, codes []uint16, width, h int, lut *[4096]uint8, bits int) error {
	rowLen := (width*bits + 7) / 8
	zw := zlibPool.Get().(*zlib.Writer)
	defer zlibPool.Put(zw)
	zw.Reset(w)
	row := make([]byte, rowLen)
	for y := 0; y < h; y++ {
		cr := codes[y*width : (y+1)*width]
		switch bits {
		case 8:
			for x, c := range cr {
				row[x] = lut[c]
			}
		case 12:
			// Two pixels (six samples) fill three bytes.
			o, x := 0, 0
			for ; x+1 < width; x += 2 {
				a, b := cr[x], cr[x+1]
				row[o] = uint8(a >> 4)
				row[o+1] = uint8(a&15)<<4 | uint8(b>>8)
				row[o+2] = uint8(b)
				o += 3
			}
			if x < width {
				a := cr[x]
				row[o] = uint8(a >> 4)
				row[o+1] = uint8(a&15) << 4
			}
		default: // 1, 2, 4: samples from the high bits down
			clear(row)
			per := 8 / bits
			for x, c := range cr {
				row[x/per] |= lut[c] << (8 - bits*(x%per+1))
			}
		}
		if _, err := zw.Write(row); err != nil {
			return err
		}
	}
	return zw.Close()
}

// pagePalette maps colour codes (r<<8|g<<4|b, 4 bits each) to palette
// indices.
type pagePalette struct {
	index  [4096]uint8
	colors []uint16
	bits   int // 4 (at most 16 colours) or 8
}

// Palette choice: a page whose colour codes number at most 16 gets an exact
// 4-bit palette. Otherwise (typically 16 grays of anti-aliased black text
// plus a few colours and their blends) a 4-bit palette of the most frequent
// distinct colours is tried, and kept if almost no pixel (one in
// paletteMaxFar) lands far (paletteFar levels) from its colour; else an exact
// 8-bit palette if there are at most 256 colours.
const (
	paletteFar    = 3   // 4-bit levels (about 51 of 255) on any component
	paletteMaxFar = 500 // at most one pixel in paletteMaxFar may be far
)

// palette chooses a palette for a page with the given colour histogram and
// pixel count, or returns ok false. Gray pages get none.
func palette(hist *[4096]uint32, gray bool, pixels int) (p *pagePalette, ok bool) {
	if gray {
		return nil, false
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
	if far*paletteMaxFar <= uint64(pixels) {
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

func absDiff(a, b uint8) uint8 {
	if a > b {
		return a - b
	}
	return b - a
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

type encodeOptions struct {
	grayBits     int // 1, 2 or 4
	bilevelScale int // 0: never G4; 1 or 2: G4 at 1 or 2 × the dpi
}

// Pages without colour are stored black and white (CCITT G4, g4.go) unless
// they have gray areas that thresholding would erase or blacken: a flat fill
// (one gray level much more frequent than its neighbours in the histogram;
// anti-aliased text spreads its edge pixels about evenly over the levels)
// or much gray overall (a picture). Measured on A4 pages at 150 dpi, in
// thousandths of the page (levels of 15, 0 black):
//
//	                              peak 1-13  peak 14  gray 1-14
//	text, Latin and Japanese         ≤ 3      ≤ 5.4     ≤ 130
//	(level 1 next to gray 2: ≤ 5.3)
//	0.8 gray header, 0.9 gray box     15       138       300
const (
	bilevelMaxPeak   = 5   // thousandths, levels 1 to 13
	bilevelMaxPeak14 = 10  // thousandths, level 14 (the lightest gray)
	bilevelMaxGray   = 250 // thousandths, levels 1 to 14
)

// bilevelLike reports whether a page without colour (hist as in
// encodePage) is black text and line art on white, which thresholding
// keeps.
func bilevelLike(hist *[4096]uint32, pixels int) bool {
	var n [16]uint64
	for l := range n {
		n[l] = uint64(hist[l*0x111])
	}
	px := uint64(pixels)
	var gray uint64
	for l := 1; l <= 14; l++ {
		gray += n[l]
		// Level 1 is compared with black too: a near-black fill turns
		// black, as it looks.
		nb := n[l-1]
		if l < 14 {
			nb = max(nb, n[l+1])
		}
		peak := n[l] - min(n[l], nb)
		lim := uint64(bilevelMaxPeak)
		if l == 14 {
			lim = bilevelMaxPeak14
		}
		if peak*1000 > px*lim {
			return false
		}
	}
	return gray*1000 <= px*bilevelMaxGray
}
