package render

import (
	"math"

	"github.com/klippa-app/go-pdfium/requests"
)

// ideographicSpace is U+3000, the full-width space of Japanese text.
const ideographicSpace = 0x3000

// pageChars reads the text of a page with PDFium's text API (FPDFText_*,
// inside the WebAssembly sandbox): each character with its loose box (its
// advance by the font's ascent and descent, not its ink), taken
// from PDF user space to the rendered image's w × h pixels by the page's
// device matrix (deviceMatrix, so CropBox and /Rotate are applied as in
// the image) and from pixels to the flattened page's points. White space
// and line breaks become a space between the characters of a line (none
// between lines). An ideographic space is kept as itself, in its box, so
// that a search that includes it finds it (a browser's viewer; poppler
// reads it as a break, in the original as well); a page of ideographic
// spaces alone has no text. Characters PDFium cannot map to Unicode,
// controls and bidirectional overrides are left out. Two characters of
// which the second stands under the first are of a vertical line. It
// returns nil when the page has no text or the text API fails: the page
// then counts as one without text.
func (in *instance) pageChars(page requests.Page, pi PageInfo, w, h int) []Char {
	tp, err := in.FPDFText_LoadPage(&requests.FPDFText_LoadPage{Page: page})
	if err != nil {
		return nil
	}
	defer in.FPDFText_ClosePage(&requests.FPDFText_ClosePage{TextPage: tp.TextPage})
	cnt, err := in.FPDFText_CountChars(&requests.FPDFText_CountChars{TextPage: tp.TextPage})
	if err != nil || cnt.Count <= 0 {
		return nil
	}
	dev, ok := in.deviceMatrix(page, w, h)
	if !ok {
		return nil
	}
	sx, sy := pi.WidthPt/float64(w), pi.HeightPt/float64(h)
	out := make([]Char, 0, min(cnt.Count, maxLayerChars))
	space, shown := false, false
	for i := 0; i < cnt.Count && len(out) < maxLayerChars; i++ {
		u, err := in.FPDFText_GetUnicode(&requests.FPDFText_GetUnicode{TextPage: tp.TextPage, Index: i})
		if err != nil {
			continue
		}
		r := rune(u.Unicode)
		switch {
		case r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == 0xA0:
			space = len(out) > 0
			continue
		case r == 0 || u.Unicode > math.MaxInt32 || layerDropped(r):
			continue
		}
		b, err := in.FPDFText_GetLooseCharBox(&requests.FPDFText_GetLooseCharBox{TextPage: tp.TextPage, Index: i})
		if err != nil {
			continue
		}
		d := dev.apply(pageRect{left: float64(b.Rect.Left), top: float64(b.Rect.Top), right: float64(b.Rect.Right), bottom: float64(b.Rect.Bottom)})
		// In device space y grows downwards: d.bottom is the glyph's top.
		c := Char{R: r, X0: d.left * sx, X1: d.right * sx, Y0: pi.HeightPt - d.top*sy, Y1: pi.HeightPt - d.bottom*sy}
		if !(c.X1 > c.X0 && c.Y1 > c.Y0) {
			if r == ideographicSpace {
				space = len(out) > 0 // no box to keep it in: a break
			}
			continue
		}
		shown = shown || r != ideographicSpace
		// One call where the matrix takes three (two to allocate and free
		// its struct).
		if a, err := in.FPDFText_GetCharAngle(&requests.FPDFText_GetCharAngle{TextPage: tp.TextPage, Index: i}); err == nil {
			c.Rot = quarterTurns(dev, float64(a.CharAngle))
		}
		if space {
			out = appendSpace(out, c)
			space = false
		}
		out = append(out, c)
	}
	if !shown {
		return nil // blank: ideographic spaces alone are no text
	}
	markVertical(out)
	return out
}

// appendSpace adds a space before c when c continues the line of the
// last character: over the gap between them, or a sliver after the last
// when they touch; in the frame of their baseline when they are rotated.
func appendSpace(out []Char, next Char) []Char {
	last := out[len(out)-1]
	if last.Rot != next.Rot {
		return out
	}
	p, c := last.unrotated(), next.unrotated()
	h := p.Y1 - p.Y0
	if math.Abs(c.Y0-p.Y0) >= h/2 || c.X0 < p.X0 {
		return out
	}
	sp := Char{R: ' ', X0: p.X1, Y0: p.Y0, X1: max(c.X0, p.X1+h/20), Y1: p.Y1, Rot: (4 - last.Rot) & 3}
	sp = sp.unrotated() // turned forward, into the page's frame
	sp.Rot = last.Rot
	return append(out, sp)
}

// quarterTurns is the direction of a baseline in PDF user space, turned
// by angle clockwise from the x axis (FPDFText_GetCharAngle: PDFium takes
// it from the character matrix's a and c, which for a rotation are its
// cosine and minus its sine), taken by dev to the rendered image (y down)
// and read on the flattened page (y up), to the nearest quarter turn
// counter-clockwise.
func quarterTurns(dev affine, angle float64) int {
	a, b := math.Cos(angle), -math.Sin(angle)
	x, y := dev.a*a+dev.c*b, -(dev.b*a + dev.d*b)
	if math.Abs(x) >= math.Abs(y) {
		if x >= 0 {
			return 0
		}
		return 2
	}
	if y > 0 {
		return 1
	}
	return 3
}

// markVertical marks the characters of top-to-bottom lines: a character
// centred under the one before it.
func markVertical(cs []Char) {
	for i := 1; i < len(cs); i++ {
		a, b := cs[i-1], cs[i]
		w, h := a.X1-a.X0, a.Y1-a.Y0
		if a.R == ' ' || b.R == ' ' || a.Rot != 0 || b.Rot != 0 {
			continue
		}
		if math.Abs((b.X0+b.X1)-(a.X0+a.X1))/2 < w/2 && (b.Y0+b.Y1)/2 < (a.Y0+a.Y1)/2-h/2 && b.Y1 <= a.Y0+h/2 {
			cs[i-1].Vertical, cs[i].Vertical = true, true
		}
	}
}
