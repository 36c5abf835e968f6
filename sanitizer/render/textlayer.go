package render

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf16"
)

// Char is one character of a page's text: its code point and its box in
// page space, in points with the origin at the page's bottom left and y
// up (the flattened page's own coordinates). Vertical marks a character
// of a top-to-bottom line (縦書き); Rot is the quarter turns, counter-
// clockwise, of a rotated character's baseline (a page turned by
// /Rotate, text set sideways), 0 to 3.
type Char struct {
	R              rune
	X0, Y0, X1, Y1 float64
	Vertical       bool
	Rot            int
}

// unrotated returns c with its box turned back by its Rot, into the frame
// where its baseline runs left to right.
func (c Char) unrotated() Char {
	for range c.Rot & 3 {
		// A quarter turn clockwise: (x, y) → (y, -x).
		c.X0, c.Y0, c.X1, c.Y1 = c.Y0, -c.X1, c.Y1, -c.X0
	}
	return c
}

// rotate turns the point (x, y) by rot quarter turns counter-clockwise.
func rotate(rot int, x, y float64) (float64, float64) {
	for range rot & 3 {
		x, y = -y, x
	}
	return x, y
}

// maxLayerChars bounds the characters of one page's text layer; the
// rest of a page's text is dropped.
const maxLayerChars = 100_000

// The objects of the text layer, written once per document: two Type0
// fonts over one glyphless CIDFont (ISO 32000-1 §9.7), horizontal
// (Identity-H) and vertical (Identity-V), its descriptor, its font
// program and the ToUnicode CMap (§9.10.3) shared by both; numbered from
// textLayer.first.
const (
	layerFontH = iota
	layerFontV
	layerCIDFont
	layerDescriptor
	layerFontFile
	layerToUnicode
	layerObjects
)

// textLayer writes the invisible text of a flattened document's pages
// (text render mode 3, §9.3.6), so that the text can be searched, copied
// and read aloud while the page shows only its image. Codes are 2-byte
// CIDs given out per document in order of first use, one for each
// character and advance; the ToUnicode CMap and the widths, written at
// the end, give each its character and its advance.
type textLayer struct {
	first  int // object number of layerFontH
	codes  map[glyph]uint16
	glyphs []glyph // glyphs[code-1]
}

// glyph is what a code stands for: a character and its advance in
// thousandths of the size (the CIDFont's /W; 1000 by default).
type glyph struct {
	r rune
	w int
}

// addTextLayer gives pw a text layer, its objects numbered next; it is
// called before the first page.
func (pw *pdfWriter) addTextLayer() {
	tl := &textLayer{first: len(pw.offsets), codes: map[glyph]uint16{}}
	pw.offsets = append(pw.offsets, make([]int64, layerObjects)...)
	pw.text = tl
}

// layerDropped tells the characters left out of the layer: controls,
// bidi embeddings, overrides and isolates (which would reorder what a
// reader copies), surrogates, noncharacters and the byte order mark.
func layerDropped(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7F && r < 0xA0, r > unicode.MaxRune:
		return true
	case unicode.Is(unicode.Bidi_Control, r), unicode.Is(unicode.Noncharacter_Code_Point, r):
		return true
	case r >= 0xD800 && r <= 0xDFFF, r == 0xFEFF:
		return true
	}
	return false
}

func (tl *textLayer) code(r rune, w int) (uint16, bool) {
	g := glyph{r, w}
	if c, ok := tl.codes[g]; ok {
		return c, true
	}
	if len(tl.glyphs) >= 0xFFFF {
		return 0, false
	}
	tl.glyphs = append(tl.glyphs, g)
	c := uint16(len(tl.glyphs))
	tl.codes[g] = c
	return c, true
}

// page returns the resources and the content stream of a page that draws
// draw (the image) under the invisible text of chars. With no layer or no
// usable character it is draw alone, unfiltered; otherwise the stream is
// Flate-compressed and filter names it.
func (tl *textLayer) page(draw string, chars []Char) (resources, filter string, content []byte) {
	var ops []byte
	if tl != nil {
		ops = tl.operators(chars)
	}
	if len(ops) == 0 {
		return "", "", []byte(draw)
	}
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	zw.Write([]byte(draw))
	zw.Write(ops)
	zw.Close()
	return fmt.Sprintf(" /Font << /F0 %d 0 R /F1 %d 0 R >>", tl.first+layerFontH, tl.first+layerFontV), " /Filter /FlateDecode", b.Bytes()
}

// operators writes chars as runs: consecutive characters on one line
// share a text matrix and a size, and TJ arrays place each at its box
// (§9.4.3). A horizontal run's size is its boxes' height, and each
// glyph's advance (its code's /W under the run's horizontal scale, Tz,
// §9.3.4) is the width from its box's left to the next character's:
// glyphs abut, so that a reader's word breaking (poppler's, a browser's)
// puts a space only where the text has one (a space character, spanning
// the gap), not between characters set apart (a justified line, letter
// spacing) or overlapping (kerning). A vertical run's size is its boxes'
// width, each character's origin at the top centre of its box (§9.7.4.3;
// /DW2: vy 880, w1 -1000), its horizontal advance columnAdvance. A run
// that is not horizontal on the page leans a little (run).
func (tl *textLayer) operators(chars []Char) []byte {
	var b bytes.Buffer
	run := make([]Char, 0, 64)
	top := math.NaN() // the last column's origin
	flush := func() {
		if len(run) > 0 {
			top = tl.run(&b, run, top)
			run = run[:0]
		}
	}
	for i, c := range chars {
		if i >= maxLayerChars {
			break
		}
		w, h := c.X1-c.X0, c.Y1-c.Y0
		if layerDropped(c.R) || !(w > 0 && h > 0) || math.IsInf(w, 0) || math.IsInf(h, 0) ||
			math.Abs(c.X0) > 1e6 || math.Abs(c.Y0) > 1e6 || w > 1e5 || h > 1e5 {
			continue
		}
		c.Rot &= 3
		if c.Rot != 0 {
			c.Vertical = false
			c = c.unrotated()
		}
		if len(run) > 0 && !sameRun(run[len(run)-1], c) {
			flush()
		}
		run = append(run, c)
	}
	flush()
	if b.Len() == 0 {
		return nil
	}
	return append(append([]byte("BT\n3 Tr\n"), b.Bytes()...), "ET\n"...)
}

// sameRun tells whether c continues the line of prev.
func sameRun(prev, c Char) bool {
	if prev.Vertical != c.Vertical || prev.Rot != c.Rot {
		return false
	}
	if c.Vertical {
		w := prev.X1 - prev.X0
		return math.Abs((c.X0+c.X1)-(prev.X0+prev.X1))/2 < w/2 && c.Y1 <= prev.Y1 && prev.Y0-c.Y1 < 4*w &&
			math.Abs((c.X1-c.X0)-w) < w/2
	}
	h := prev.Y1 - prev.Y0
	return math.Abs(c.Y0-prev.Y0) < h/2 && c.X0 >= prev.X0 && c.X0-prev.X1 < 4*h && math.Abs((c.Y1-c.Y0)-h) < h/2
}

// columnLean is how far, in sizes, a run that is not horizontal on the
// page leans from its first glyph to its last: more than the tenth of its
// size that PDFium's text page needs between two columns to end a line
// (EndVerticalLine, core/fpdftext/cpdf_textpage.cpp).
const columnLean = 0.12

// columnAdvance is the horizontal advance, in thousandths (/W), of a
// vertical run's glyphs, which vertical writing does not move by
// (§9.7.4.3). QUIRK: PDFium's text page takes text objects whose origins
// lie within half of their glyphs' horizontal advance of one another for
// one line, and orders them by x: under a full em, columns that start at
// about one height read from left to right. Under a hundredth, and with
// the tops of two columns in a row kept columnStep apart, columns keep
// the layer's order (for OCR, Tesseract's: right to left). It is also
// the default position vector's vx (w0/2), which places only the glyph's
// outline, and there is none.
const columnAdvance = 10

// columnStep is, in sizes, how far at least a column's origin lies below
// the previous column's when it starts at about the same height: twice
// what PDFium needs under columnAdvance.
const columnStep = 0.01

// run writes one run as one TJ array under one Tz: PDFium reads a text
// object (each TJ is one) of a single glyph without an outline as one of
// no width, and drops it, so a glyph of its own width (a digit among
// kanji) is not set apart under a Tz of its own but takes a code of that
// width (/W). A horizontal run's scale is its median glyph width, each
// glyph's width a multiple of 10/1000 of it; TJ numbers take up what is
// left over.
//
// A vertical run starts at the top of its first box, or columnStep below
// prevTop, the origin of the previous column, when it would start less
// than that from it; run returns its origin, or NaN when horizontal.
func (tl *textLayer) run(b *bytes.Buffer, run []Char, prevTop float64) (top float64) {
	first, vertical := run[0], run[0].Vertical
	var size float64
	for _, c := range run {
		if vertical {
			size = max(size, c.X1-c.X0)
		} else {
			size = max(size, c.Y1-c.Y0)
		}
	}
	scale := 1.0
	widths := make([]float64, len(run)) // advances, in sizes
	if !vertical {
		for i, c := range run {
			w := c.X1 - c.X0
			if i+1 < len(run) && run[i+1].X0 > c.X0 {
				w = run[i+1].X0 - c.X0 // up to the next: no gap, no overlap
			}
			widths[i] = w / size
		}
		sorted := slices.Sorted(slices.Values(widths))
		scale = math.Min(math.Max(sorted[len(sorted)/2], 0.01), 100)
	}
	// QUIRK: PDFium's text page (what Chromium's viewer finds and copies)
	// drops a text object whose box on the page has no width, and the box
	// of glyphs without outlines spans their advances alone: a column, or a
	// line turned a quarter, has none. Such a run leans (a shear in its
	// Tm): its glyphs drift across the line by columnLean of its size from
	// the first to the last, centred on the line, which gives the box that
	// width.
	last, top := run[len(run)-1], math.NaN()
	if vertical {
		x, lean := (first.X0+first.X1)/2, 0.0
		if h := first.Y1 - last.Y1; h > 0 {
			x, lean = x+columnLean*size/2, columnLean*size/h
		}
		top = first.Y1
		if math.Abs(top-prevTop) < columnStep*size {
			top = prevTop - columnStep*size
		}
		fmt.Fprintf(b, "/F1 %s Tf 1 0 %s 1 %s %s Tm", num(size), num(lean), num(x), num(top))
	} else {
		// The font's descent is 120/1000 of its size (glyphlessFont). A
		// rotated run's boxes are unrotated: its matrix turns them back.
		baseline, lean := first.Y0+0.12*size, 0.0
		if first.Rot&1 == 1 && last.X0 > first.X0 {
			baseline, lean = baseline-columnLean*size/2, columnLean*size/(last.X0-first.X0)
		}
		x, y := rotate(first.Rot, first.X0, baseline)
		cos, sin := rotate(first.Rot, 1, 0)
		// The lean [1 lean 0 1], then the rotation.
		fmt.Fprintf(b, "/F0 %s Tf %s %s %s %s %s %s Tm %s Tz", num(size), num(cos-sin*lean), num(sin+cos*lean), num(-sin), num(cos), num(x), num(y), num(scale*100))
	}
	b.WriteString(" [")
	var pos float64 // where the next glyph lands: x, or the top y when vertical
	for i, c := range run {
		w := columnAdvance
		if !vertical {
			w = int(math.Min(math.Max(math.Round(widths[i]/scale*100), 1), 1000)) * 10
		}
		code, ok := tl.code(c.R, w)
		if !ok {
			continue
		}
		at := c.X0
		if vertical {
			at = c.Y1
		}
		if i > 0 {
			// A TJ number is taken from the next glyph's position, in
			// thousandths of the size (§9.4.4): a positive one moves it
			// left, or, vertical, down (the displacement w1 is negative).
			adj := -(at - pos) * 1000 / (size * scale)
			if vertical {
				adj = (pos - at) * 1000 / size
			}
			if math.Abs(adj) >= 0.5 {
				fmt.Fprintf(b, " %s ", num(math.Round(adj)))
			}
		}
		if vertical {
			pos = at - size
		} else {
			pos = at + size*scale*float64(w)/1000
		}
		fmt.Fprintf(b, "<%04X>", code)
	}
	b.WriteString("] TJ\n")
	return top
}

// finish writes the layer's objects: the fonts, the font program and the
// ToUnicode CMap of every code given out.
func (tl *textLayer) finish(pw *pdfWriter) {
	if tl == nil {
		return
	}
	for i, enc := range []string{"Identity-H", "Identity-V"} {
		pw.obj(tl.first + layerFontH + i)
		pw.write(fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /GlyphLessFont /Encoding /%s /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>\nendobj\n",
			enc, tl.first+layerCIDFont, tl.first+layerToUnicode))
	}
	pw.obj(tl.first + layerCIDFont)
	pw.write(fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /GlyphLessFont /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /DW 1000 /W [%s] /DW2 [880 -1000] /CIDToGIDMap /Identity >>\nendobj\n",
		tl.first+layerDescriptor, tl.widths()))
	pw.obj(tl.first + layerDescriptor)
	pw.write(fmt.Sprintf("<< /Type /FontDescriptor /FontName /GlyphLessFont /Flags 5 /FontBBox [0 -120 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 80 /FontFile2 %d 0 R >>\nendobj\n",
		tl.first+layerFontFile))
	font := glyphlessFont()
	pw.obj(tl.first + layerFontFile)
	pw.write(fmt.Sprintf("<< /Length %d /Length1 %d >>\nstream\n", len(font), len(font)))
	pw.writeBytes(font)
	pw.write("\nendstream\nendobj\n")
	cmap := tl.toUnicode()
	pw.obj(tl.first + layerToUnicode)
	pw.write(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream\nendobj\n", len(cmap), cmap))
}

// widths is the /W array (§9.7.4.3) of the codes whose advance is not
// the default 1000.
func (tl *textLayer) widths() string {
	var b strings.Builder
	for i, g := range tl.glyphs {
		if g.w != 1000 {
			fmt.Fprintf(&b, "%d [%d] ", i+1, g.w)
		}
	}
	return strings.TrimSpace(b.String())
}

// toUnicode is the CMap (Adobe Technical Note #5411, §9.10.3) that maps
// each code to its character in UTF-16BE.
func (tl *textLayer) toUnicode() string {
	var b strings.Builder
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for i := 0; i < len(tl.glyphs); i += 100 {
		block := tl.glyphs[i:min(i+100, len(tl.glyphs))]
		fmt.Fprintf(&b, "%d beginbfchar\n", len(block))
		for j, g := range block {
			fmt.Fprintf(&b, "<%04X> <", i+j+1)
			for _, u := range utf16.Encode([]rune{g.r}) {
				fmt.Fprintf(&b, "%04X", u)
			}
			b.WriteString(">\n")
		}
		b.WriteString("endbfchar\n")
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend")
	return b.String()
}
