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
	"sync"
)

// Page images are stored losslessly when they are text or line art and as
// JPEG when they are photographs or scans:
//
//  1. One pass rounds every pixel to 4 bits a component (a 12-bit colour
//     code) and counts the codes; a second looks at the page in tiles
//     (tiles.go) for colour, continuous tone and gray that thresholding
//     would change.
//  2. A page without colour, continuous tone or such gray is black and
//     white, thresholded and CCITT G4 coded. A page that is that except in
//     a few places (a red seal, a logo, a shaded table header, a small
//     photograph: at most mrcMaxShare of the page) is also tried as black
//     and white over images of those places (mrc.go), and kept so if that
//     is smaller than the page stored whole.
//  3. Whole, a page without colour is gray (Options.GrayBits, 2 bits by
//     default; if it has light gray areas, which evenly spaced 2-bit levels
//     would store as white, black, white and its two commonest grays,
//     fillLevels). A page with
//     continuous tone in colour (at least minPhotoTiles tiles) is JPEG;
//     otherwise a palette is chosen (see palette) and the page is 4- or
//     8-bit Indexed; with more than 256 colours it is JPEG if they are
//     spread as in a photograph (photoLike), else 4-bit RGB.
//  4. The samples are packed in rows and zlib-compressed (ISO 32000-1
//     §7.4.4). No predictor: on anti-aliased text the PNG Up predictor made
//     the output 7 to 13% larger.
//  5. If that takes more than photoBitsPerPixel, JPEG is tried as well and
//     the smaller kept.
//
// JPEG quality follows the content (jpegQuality): photographs and
// gradients throughout take jpegPhotoQuality; pages with text or line art
// as well take jpegSharpQuality, as ringing around glyph edges shows first.
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
//
// What the tiles changed, on the pages of fidelity_test.go (A4, 150 dpi,
// bytes of the flattened page; the differences are those of that test):
//
//	                       without tiles                with tiles
//	text pages (median)    49 KB                        48 KB
//	text with a red seal   158 KB palette (88× input)   56 KB layered (31×)
//	0.9 gray box           26 KB 2-bit, box lost (34)   26 KB 2-bit fill levels (8)
//	shaded table           18 KB 2-bit, fills lost (13) 19 KB 2-bit fill levels (2)
//	gradient               3 KB palette, banded (23)    55 KB JPEG 80 (1.5)
//	photograph             182 KB JPEG 85               159 KB JPEG 80
//
// The tile pass costs 5 to 8 ms of CPU an A4 page (Latin text 5.5,
// Japanese 8, a photograph 8, December 2026); encoding a whole page 15 to
// 18 ms for text, 39 ms for a photograph (26 of them image/jpeg's).
// BenchmarkFlattenPDF, CPU a page with the rendering: Latin text 58 to 60
// ms, Japanese 60 (embedded font) to 84 (fallback font), a photograph 94.

// photoBitsPerPixel is the lossless size above which a page is also tried
// as JPEG: text pages take about 0.15 bit a pixel at 150 dpi, photographs
// several bits.
const photoBitsPerPixel = 1

// minPhotoTiles is the number of continuous-tone tiles (about 2.6 cm² at
// 150 dpi) from which a page holds a photograph or a gradient, which a
// palette or four bits a component would band; fewer is an icon.
const minPhotoTiles = 8

// JPEG qualities (image/jpeg's scale) by content, see jpegQuality.
const (
	jpegPhotoQuality = 80
	jpegSharpQuality = 90
)

type encodedPage struct {
	enc Encoding
	img pdfImage // the page, or with regions the black and white mask over them
	// regions are drawn before img, each at its place on the page.
	regions []placedImage
	// quality is the JPEG quality of img or of a region, else 0.
	quality int
	bufs    []*bytes.Buffer
}

func (e *encodedPage) free() {
	for _, b := range e.bufs {
		b.Reset()
		bufPool.Put(b)
	}
	e.bufs = nil
}

// size is the bytes of the page's image data.
func (e *encodedPage) size() int {
	n := len(e.img.Data)
	for _, r := range e.regions {
		n += len(r.Data)
	}
	return n
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
	// A white row (the margins, between lines) is found by one
	// comparison and its codes copied.
	whitePix := bytes.Repeat([]byte{0xff}, 4*w)
	whiteCodes := slices.Repeat([]uint16{0xfff}, w)
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		cr := codes[y*w : (y+1)*w]
		if bytes.Equal(row, whitePix) {
			copy(cr, whiteCodes)
			hist[0xfff] += uint32(w)
			continue
		}
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
	tiles := mapTiles(img, codes)
	if opt.bilevelScale == 0 {
		return encodeWhole(img, codes, &hist, tiles, opt, -1)
	}
	if !tiles.anyOf(tileColour | tileSmooth | tileGray) {
		switch e, err := encodeG4(codes, w, h, opt.bilevelScale); {
		case err == nil:
			e.enc = EncG4
			return e, nil
		case !errors.Is(err, errTooBig):
			return nil, err
		}
		// G4 of noise (a dithered scan) can exceed the raw samples:
		// the page is stored whole.
		return encodeWhole(img, codes, &hist, tiles, opt, -1)
	}
	layered, err := encodeLayered(img, codes, tiles, opt)
	if err != nil {
		return nil, err
	}
	if layered == nil {
		return encodeWhole(img, codes, &hist, tiles, opt, -1)
	}
	whole, err := encodeWhole(img, codes, &hist, tiles, opt, layered.size())
	switch {
	case err == nil:
		layered.free()
		return whole, nil
	case errors.Is(err, errTooBig):
		return layered, nil
	}
	layered.free()
	return nil, err
}

// encodeG4 thresholds the codes and codes them CCITT G4 at scale times the
// size, or fails with errTooBig if that exceeds the size of raw 2-bit gray.
func encodeG4(codes []uint16, w, h, scale int) (*encodedPage, error) {
	buf := bufPool.Get().(*bytes.Buffer)
	e := &encodedPage{bufs: []*bytes.Buffer{buf}}
	lw := &limitWriter{w: buf, n: int64(w) * int64(h) / 4}
	if err := g4Codes(lw, codes, w, h, scale); err != nil {
		e.free()
		if errors.Is(err, errTooBig) {
			return nil, err
		}
		return nil, fmt.Errorf("render: encode page: %w", err)
	}
	// §7.4.6 table 11: K < 0 is pure two-dimensional (Group 4); BlackIs1
	// false (0 is black, as in DeviceGray), EndOfBlock true.
	e.img = pdfImage{
		Width: w * scale, Height: h * scale, ColorSpace: "/DeviceGray", BPC: 1,
		Filter:      "/CCITTFaxDecode",
		DecodeParms: fmt.Sprintf("<< /K -1 /Columns %d /Rows %d >>", w*scale, h*scale),
		Data:        buf.Bytes(),
	}
	return e, nil
}

// encodeWhole stores the page as one image (steps 3 to 5 above). With
// limit ≥ 0 it fails with errTooBig once the image would exceed limit
// bytes.
func encodeWhole(img *image.RGBA, codes []uint16, hist *[4096]uint32, tiles *tileMap, opt encodeOptions, limit int) (*encodedPage, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	gray := true
	for c, n := range hist {
		if n > 0 && (c>>8 != c>>4&15 || c>>4&15 != c&15) {
			gray = false
			break
		}
	}
	// A photograph in colour; on a page without colour, continuous tone
	// is also tried as JPEG, below.
	photo := tiles.count(tileSmoothColour) >= minPhotoTiles
	quality := jpegQuality(tiles)

	buf := bufPool.Get().(*bytes.Buffer)
	e := &encodedPage{bufs: []*bytes.Buffer{buf}, img: pdfImage{Width: w, Height: h, BPC: 4, Filter: "/FlateDecode"}}
	var out io.Writer = buf
	if limit >= 0 {
		out = &limitWriter{w: buf, n: int64(limit)}
	}
	var err error
	var lut [4096]uint8
	var pal *pagePalette
	ok := false
	if !gray && !photo {
		pal, ok = palette(hist, w*h)
	}
	switch {
	case gray:
		grayBits := opt.grayBits
		if tiles.anyOf(tileLight) && grayBits < 4 {
			// Light fills, which evenly spaced levels of 2 bits
			// would store as white: four levels that keep them.
			pal := fillLevels(hist)
			e.enc, e.img.BPC, e.img.ColorSpace = EncGray, pal.bits, pal.colorSpace()
			err = flateCodes(out, codes, w, h, &pal.index, pal.bits)
			break
		}
		e.enc, e.img.ColorSpace, e.img.BPC = EncGray, "/DeviceGray", grayBits
		top := uint32(1)<<grayBits - 1
		for c := range lut {
			lut[c] = uint8((uint32(c&15)*top + 7) / 15)
		}
		err = flateCodes(out, codes, w, h, &lut, grayBits)
	case ok:
		e.enc, e.img.BPC = EncIndexed, pal.bits
		e.img.ColorSpace = pal.colorSpace()
		err = flateCodes(out, codes, w, h, &pal.index, pal.bits)
	case photo || photoLike(hist, w*h):
		// Continuous tone: a palette or four bits would band, lossless
		// would be large and slow to deflate.
		buf.Reset()
		if err := jpeg.Encode(out, img, &jpeg.Options{Quality: quality}); err != nil {
			e.free()
			return nil, encodeError(err)
		}
		e.enc, e.img.ColorSpace, e.quality = EncJPEG, "/DeviceRGB", quality
		e.img.BPC, e.img.Filter = 8, "/DCTDecode"
		e.img.Data = buf.Bytes()
		return e, nil
	default:
		e.enc, e.img.ColorSpace = EncRGB4, "/DeviceRGB"
		err = flateCodes(out, codes, w, h, nil, 12)
	}
	if err != nil {
		e.free()
		return nil, encodeError(err)
	}

	if int64(buf.Len())*8 > int64(w)*int64(h)*photoBitsPerPixel || gray && tiles.count(tileSmooth) >= minPhotoTiles {
		jb := bufPool.Get().(*bytes.Buffer)
		var m image.Image = img
		if gray {
			g := &image.Gray{Pix: make([]byte, w*h), Stride: w, Rect: image.Rect(0, 0, w, h)}
			toGray(img, g.Pix)
			m = g
		}
		if err := jpeg.Encode(jb, m, &jpeg.Options{Quality: quality}); err != nil {
			jb.Reset()
			bufPool.Put(jb)
			e.free()
			return nil, encodeError(err)
		}
		if jb.Len() < buf.Len() {
			e.free()
			e.bufs = []*bytes.Buffer{jb}
			buf = jb
			e.img.BPC, e.img.Filter, e.quality = 8, "/DCTDecode", quality
			e.enc, e.img.ColorSpace = EncJPEG, "/DeviceRGB"
			if gray {
				e.enc, e.img.ColorSpace = EncGrayJPEG, "/DeviceGray"
			}
		} else {
			jb.Reset()
			bufPool.Put(jb)
		}
	}
	e.img.Data = buf.Bytes()
	return e, nil
}

// encodeError wraps an encoder's error, keeping errTooBig recognizable.
func encodeError(err error) error {
	if errors.Is(err, errTooBig) {
		return err
	}
	return fmt.Errorf("render: encode page: %w", err)
}

// jpegQuality is jpegPhotoQuality if continuous tone covers at least three
// quarters of what is drawn on the page, else jpegSharpQuality.
func jpegQuality(tiles *tileMap) int {
	if 4*tiles.count(tileSmooth) >= 3*tiles.count(tileInk) {
		return jpegPhotoQuality
	}
	return jpegSharpQuality
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
		default:
			packSamples(row, cr, lut, bits)
		}
		if _, err := zw.Write(row); err != nil {
			return err
		}
	}
	return zw.Close()
}

// packSamples maps each code of cr through lut to a sample of 1, 2 or 4
// bits and packs them into row, from the high bits down, a whole byte at
// a time.
func packSamples(row []byte, cr []uint16, lut *[4096]uint8, bits int) {
	per := 8 / bits
	n := len(cr) / per * per
	o := 0
	switch bits {
	case 4:
		for x := 0; x < n; x += 2 {
			row[o] = lut[cr[x]&0xfff]<<4 | lut[cr[x+1]&0xfff]
			o++
		}
	case 2:
		for x := 0; x < n; x += 4 {
			row[o] = lut[cr[x]&0xfff]<<6 | lut[cr[x+1]&0xfff]<<4 | lut[cr[x+2]&0xfff]<<2 | lut[cr[x+3]&0xfff]
			o++
		}
	default:
		for x := 0; x < n; x += 8 {
			var b byte
			for _, c := range cr[x : x+8] {
				b = b<<1 | lut[c&0xfff]
			}
			row[o] = b
			o++
		}
	}
	if n < len(cr) {
		var b byte
		for i, c := range cr[n:] {
			b |= lut[c&0xfff] << (8 - bits*(i+1))
		}
		row[o] = b
	}
}

type encodeOptions struct {
	grayBits     int // 1, 2 or 4
	bilevelScale int // 0: never G4 (nor layers); 1 or 2: G4 at 1 or 2 × the dpi
}

// errTooBig stops an encoding that has grown past its limit.
var errTooBig = errors.New("render: encoded page larger than its limit")

// limitWriter fails with errTooBig once more than n bytes are written.
type limitWriter struct {
	w io.Writer
	n int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.n {
		return 0, errTooBig
	}
	l.n -= int64(len(p))
	return l.w.Write(p)
}
