package render

import (
	"image"
	"image/color"
	"math"
	"slices"
	"unicode"

	"github.com/klippa-app/go-pdfium/enums"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/structs"
)

// LostText is a page whose text PDFium reads but did not draw: the
// bounds of a text object in a font that the PDF does not embed hold no
// ink in the rendered image. That is what a font that neither the PDF nor the
// sandbox's fallback folder provides looks like, or one whose codes PDFium
// cannot map to a fallback's glyphs (PDFium then draws nothing), so the
// flattened page would lack text that poppler or MuPDF may well show.
//
// Text in embedded fonts is not judged: where it leaves no ink (covered by
// a later fill, glyphs without outlines), no viewer shows it either. Nor is
// text meant not to be seen (render modes 3 and 7, transparent, or in its
// background's colour). Where it diverges: text in a font the PDF does not
// embed that a later fill covers counts as lost, as PDFium's API cannot
// tell covered text from text it did not draw.
type LostText struct {
	Page  int      // 1-based
	Chars int      // characters other than white space without ink
	Fonts []string // their fonts' base names, as PDFium reports them
}

const (
	// inkLevel is how far (in 8-bit levels of any channel) a pixel must
	// be from a text object's first pixel to count as ink: glyph strokes
	// are far darker or lighter than their background; anti-aliasing of
	// the background is not.
	inkLevel = 40
	// maxPageObjects bounds the objects visited on one page (forms'
	// contents included); the rest go unchecked.
	maxPageObjects = 5000
)

// textObject is a text object in a font the PDF does not embed, with the
// matrix from its form XObjects' space to the page's.
type textObject struct {
	obj references.FPDF_PAGEOBJECT
	m   affine
}

// lostText checks the rendered image img of page for text objects in
// fonts the PDF does not embed that left no ink. It returns nil when all
// of them did. Its cost is two calls per page object, two more per such
// text object and a scan of its pixels that stops at the first ink; the
// text API (FPDFText_LoadPage, tens of milliseconds for CJK text) is
// loaded only to name what was lost.
func (in *instance) lostText(page requests.Page, pi PageInfo, img *image.RGBA) *LostText {
	objs := in.unembeddedText(page)
	if len(objs) == 0 {
		return nil
	}
	dev, ok := in.deviceMatrix(page, img.Rect.Dx(), img.Rect.Dy())
	if !ok {
		return nil
	}
	var lost *LostText
	var tp *references.FPDF_TEXTPAGE
	defer func() {
		if tp != nil {
			_, _ = in.FPDFText_ClosePage(&requests.FPDFText_ClosePage{TextPage: *tp})
		}
	}()
	for _, o := range objs {
		mode, err := in.FPDFTextObj_GetTextRenderMode(&requests.FPDFTextObj_GetTextRenderMode{PageObject: o.obj})
		if err != nil || mode.TextRenderMode == enums.FPDF_TEXTRENDERMODE_INVISIBLE || mode.TextRenderMode == enums.FPDF_TEXTRENDERMODE_CLIP {
			continue // meant not to be seen: the text layer of a scan, a clip
		}
		b, err := in.FPDFPageObj_GetBounds(&requests.FPDFPageObj_GetBounds{PageObject: o.obj})
		if err != nil {
			continue
		}
		r := o.m.apply(pageRect{float64(b.Left), float64(b.Top), float64(b.Right), float64(b.Bottom)})
		// One pixel more on each side: a thin stem may land beside its box.
		box := dev.box(r).Inset(-1).Intersect(img.Rect)
		if box.Dx() < 3 || box.Dy() < 3 {
			continue // too small to judge at this resolution
		}
		ref := img.RGBAAt(box.Min.X, box.Min.Y)
		if hasInk(img, box, ref) {
			continue
		}
		if c, err := in.FPDFPageObj_GetFillColor(&requests.FPDFPageObj_GetFillColor{PageObject: o.obj}); err == nil {
			f := c.FillColor
			if f.A == 0 || near(f.R, ref.R) && near(f.G, ref.G) && near(f.B, ref.B) {
				continue // transparent, or in its background's colour
			}
		}
		if tp == nil {
			t, err := in.FPDFText_LoadPage(&requests.FPDFText_LoadPage{Page: page})
			if err != nil {
				return lost
			}
			tp = &t.TextPage
		}
		text, err := in.FPDFTextObj_GetText(&requests.FPDFTextObj_GetText{PageObject: o.obj, TextPage: *tp})
		if err != nil {
			continue
		}
		n := countVisible(text.Text)
		if n == 0 {
			continue // white space only
		}
		if lost == nil {
			lost = &LostText{Page: pi.Index + 1}
		}
		lost.Chars += n
		if name := in.fontName(o.obj); name != "" && !slices.Contains(lost.Fonts, name) {
			lost.Fonts = append(lost.Fonts, name)
		}
	}
	return lost
}

func (in *instance) fontName(obj references.FPDF_PAGEOBJECT) string {
	f, err := in.FPDFTextObj_GetFont(&requests.FPDFTextObj_GetFont{PageObject: obj})
	if err != nil {
		return ""
	}
	n, err := in.FPDFFont_GetBaseFontName(&requests.FPDFFont_GetBaseFontName{Font: f.Font})
	if err != nil {
		return ""
	}
	return n.BaseFontName
}

// unembeddedText returns the page's text objects, on the page or in its
// form XObjects, in fonts that the PDF does not embed.
func (in *instance) unembeddedText(page requests.Page) []textObject {
	n, err := in.FPDFPage_CountObjects(&requests.FPDFPage_CountObjects{Page: page})
	if err != nil {
		return nil
	}
	budget := min(n.Count, maxPageObjects)
	stack := make([]textObject, 0, budget)
	for i := range budget {
		o, err := in.FPDFPage_GetObject(&requests.FPDFPage_GetObject{Page: page, Index: i})
		if err != nil {
			return nil
		}
		stack = append(stack, textObject{o.PageObject, affine{a: 1, d: 1}})
	}
	budget = maxPageObjects - budget
	var out []textObject
	for len(stack) > 0 {
		o := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		t, err := in.FPDFPageObj_GetType(&requests.FPDFPageObj_GetType{PageObject: o.obj})
		if err != nil {
			continue
		}
		switch t.Type {
		case enums.FPDF_PAGEOBJ_TEXT:
			f, err := in.FPDFTextObj_GetFont(&requests.FPDFTextObj_GetFont{PageObject: o.obj})
			if err != nil {
				continue
			}
			if e, err := in.FPDFFont_GetIsEmbedded(&requests.FPDFFont_GetIsEmbedded{Font: f.Font}); err == nil && !e.IsEmbedded {
				out = append(out, o)
			}
		case enums.FPDF_PAGEOBJ_FORM:
			c, err := in.FPDFFormObj_CountObjects(&requests.FPDFFormObj_CountObjects{PageObject: o.obj})
			if err != nil || c.Count > budget {
				continue
			}
			fm, err := in.FPDFPageObj_GetMatrix(&requests.FPDFPageObj_GetMatrix{PageObject: o.obj})
			if err != nil {
				continue
			}
			m := affineOf(fm.Matrix).then(o.m)
			budget -= c.Count
			for i := range c.Count {
				k, err := in.FPDFFormObj_GetObject(&requests.FPDFFormObj_GetObject{PageObject: o.obj, Index: uint64(i)})
				if err == nil {
					stack = append(stack, textObject{k.PageObject, m})
				}
			}
		}
	}
	return out
}

// countVisible counts the runes of s that leave a mark.
func countVisible(s string) int {
	n := 0
	for _, c := range s {
		if visible(c) {
			n++
		}
	}
	return n
}

// pageRect is a rectangle in page space (points, y up).
type pageRect struct{ left, top, right, bottom float64 }

func near(c uint, level uint8) bool {
	d := int(c) - int(level)
	return d > -inkLevel && d < inkLevel
}

// visible reports whether c leaves a mark when drawn: not white space,
// not a control character.
func visible(c rune) bool {
	return !unicode.IsSpace(c) && !unicode.IsControl(c)
}

// hasInk reports whether any pixel in box differs from ref by inkLevel
// or more in a channel.
func hasInk(img *image.RGBA, box image.Rectangle, ref color.RGBA) bool {
	for y := box.Min.Y; y < box.Max.Y; y++ {
		row := img.Pix[img.PixOffset(box.Min.X, y):img.PixOffset(box.Max.X, y)]
		for i := 0; i+2 < len(row); i += 4 {
			if far(row[i], ref.R) || far(row[i+1], ref.G) || far(row[i+2], ref.B) {
				return true
			}
		}
	}
	return false
}

func far(a, b uint8) bool { return int(a)-int(b) >= inkLevel || int(b)-int(a) >= inkLevel }

// affine is the map (x, y) → (a·x + c·y + e, b·x + d·y + f) (ISO 32000-1
// §8.3.4).
type affine struct{ a, b, c, d, e, f float64 }

func affineOf(m structs.FPDF_FS_MATRIX) affine {
	return affine{float64(m.A), float64(m.B), float64(m.C), float64(m.D), float64(m.E), float64(m.F)}
}

// then returns m followed by n.
func (m affine) then(n affine) affine {
	return affine{
		a: m.a*n.a + m.b*n.c, b: m.a*n.b + m.b*n.d,
		c: m.c*n.a + m.d*n.c, d: m.c*n.b + m.d*n.d,
		e: m.e*n.a + m.f*n.c + n.e, f: m.e*n.b + m.f*n.d + n.f,
	}
}

// apply maps the corners of r and returns their bounds.
func (m affine) apply(r pageRect) pageRect {
	out := pageRect{math.Inf(1), math.Inf(-1), math.Inf(-1), math.Inf(1)}
	for _, p := range [4][2]float64{{r.left, r.top}, {r.right, r.top}, {r.left, r.bottom}, {r.right, r.bottom}} {
		x := m.a*p[0] + m.c*p[1] + m.e
		y := m.b*p[0] + m.d*p[1] + m.f
		out.left, out.right = min(out.left, x), max(out.right, x)
		out.bottom, out.top = min(out.bottom, y), max(out.top, y)
	}
	return out
}

// deviceMatrix asks PDFium where three points of page space land in a
// w × h rendering of the page (rotation and CropBox applied), and returns
// the map between them.
func (in *instance) deviceMatrix(page requests.Page, w, h int) (affine, bool) {
	const span = 1000 // points apart: PDFium returns whole pixels
	var dx, dy [3]float64
	for i, p := range [3][2]float64{{0, 0}, {span, 0}, {0, span}} {
		res, err := in.FPDF_PageToDevice(&requests.FPDF_PageToDevice{Page: page, SizeX: w, SizeY: h,
			Rotate: enums.FPDF_PAGE_ROTATION_NONE, PageX: p[0], PageY: p[1]})
		if err != nil {
			return affine{}, false
		}
		dx[i], dy[i] = float64(res.DeviceX), float64(res.DeviceY)
	}
	return affine{
		a: (dx[1] - dx[0]) / span, b: (dy[1] - dy[0]) / span,
		c: (dx[2] - dx[0]) / span, d: (dy[2] - dy[0]) / span,
		e: dx[0], f: dy[0],
	}, true
}

// box returns the pixels that the page-space rectangle r covers under m.
func (m affine) box(r pageRect) image.Rectangle {
	d := m.apply(r)
	if math.IsNaN(d.left+d.right+d.top+d.bottom) || math.IsInf(d.left+d.right+d.top+d.bottom, 0) {
		return image.Rectangle{}
	}
	clamp := func(v float64) int { return int(max(min(v, 1<<20), -1<<20)) }
	return image.Rect(clamp(math.Floor(d.left)), clamp(math.Floor(d.bottom)), clamp(math.Ceil(d.right)), clamp(math.Ceil(d.top)))
}
