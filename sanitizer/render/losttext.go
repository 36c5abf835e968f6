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
)

// LostText is a page whose text PDFium reads but did not draw: the
// rectangles that its text API gives for the page's characters hold no ink
// in the rendered image, and the characters are set in a font that the
// PDF does not embed. That is what a font that neither the PDF nor the
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
	// be from a text rectangle's first pixel to count as ink: glyph strokes
	// are far darker or lighter than their background; anti-aliasing of
	// the background is not.
	inkLevel = 40
	// maxTextRects bounds the work on pages with absurd amounts of text.
	maxTextRects = 20_000
)

// lostText checks the rendered image img of page against PDFium's text
// for the page. It returns nil when all text left ink. The cost on a page
// whose text rendered is one text page, one call per text rectangle
// (about one per line) and a scan of its pixels that stops at the first
// ink.
func (in *instance) lostText(page requests.Page, pi PageInfo, img *image.RGBA) *LostText {
	if !in.unembeddedText(page) {
		return nil // only text in fonts the PDF does not embed is judged
	}
	tp, err := in.FPDFText_LoadPage(&requests.FPDFText_LoadPage{Page: page})
	if err != nil {
		return nil // no text layer: no text to lose
	}
	defer func() { _, _ = in.FPDFText_ClosePage(&requests.FPDFText_ClosePage{TextPage: tp.TextPage}) }()
	rc, err := in.FPDFText_CountRects(&requests.FPDFText_CountRects{TextPage: tp.TextPage, StartIndex: 0, Count: -1})
	if err != nil || rc.Count <= 0 {
		return nil
	}
	m, ok := in.deviceMatrix(page, img.Rect.Dx(), img.Rect.Dy())
	if !ok {
		return nil
	}
	var lost *LostText
	for i := range min(rc.Count, maxTextRects) {
		r, err := in.FPDFText_GetRect(&requests.FPDFText_GetRect{TextPage: tp.TextPage, Index: i})
		if err != nil {
			continue
		}
		line := pageRect{r.Left, r.Top, r.Right, r.Bottom}
		area, at := line, -1
		if line.flat() {
			// PDFium gives a glyph it has no outline for (and a space) a
			// box of no height on the baseline: judge the font's box of
			// its character instead.
			at = in.charAt(tp.TextPage, line)
			if !in.visibleChar(tp.TextPage, at) {
				continue
			}
			area = in.looseArea(tp.TextPage, line, at)
		}
		// One pixel more on each side: a thin stem may land beside its box.
		box := m.box(area).Inset(-1).Intersect(img.Rect)
		if box.Dx() < 3 || box.Dy() < 3 {
			continue // too small to judge at this resolution
		}
		ref := img.RGBAAt(box.Min.X, box.Min.Y)
		if hasInk(img, box, ref) {
			continue
		}
		if at < 0 {
			at = in.charAt(tp.TextPage, line)
		}
		font, judged := in.charFont(tp.TextPage, at, ref)
		if !judged {
			continue
		}
		bt, err := in.FPDFText_GetBoundedText(&requests.FPDFText_GetBoundedText{
			TextPage: tp.TextPage, Left: area.left, Top: area.top, Right: area.right, Bottom: area.bottom})
		n := 0
		if err == nil {
			n = countVisible(bt.Text)
		}
		if n == 0 {
			continue // white space only
		}
		if lost == nil {
			lost = &LostText{Page: pi.Index + 1}
		}
		lost.Chars += n
		if font != "" && !slices.Contains(lost.Fonts, font) {
			lost.Fonts = append(lost.Fonts, font)
		}
	}
	return lost
}

// maxPageObjects bounds the walk of unembeddedText; a page with more
// objects is checked as though it had such text.
const maxPageObjects = 5000

// unembeddedText reports whether the page draws text in a font that the
// PDF does not embed, directly or in its form XObjects. The walk is two
// calls per page object and spares the text page (FPDFText_LoadPage, the
// check's dearest step, tens of milliseconds for CJK text) on pages whose
// fonts are all embedded, as in most documents.
func (in *instance) unembeddedText(page requests.Page) bool {
	n, err := in.FPDFPage_CountObjects(&requests.FPDFPage_CountObjects{Page: page})
	if err != nil {
		return true
	}
	budget := maxPageObjects
	objs := make([]references.FPDF_PAGEOBJECT, 0, min(n.Count, budget))
	for i := range min(n.Count, budget) {
		o, err := in.FPDFPage_GetObject(&requests.FPDFPage_GetObject{Page: page, Index: i})
		if err != nil {
			return true
		}
		objs = append(objs, o.PageObject)
	}
	if n.Count > budget {
		return true
	}
	budget -= len(objs)
	for len(objs) > 0 {
		o := objs[len(objs)-1]
		objs = objs[:len(objs)-1]
		t, err := in.FPDFPageObj_GetType(&requests.FPDFPageObj_GetType{PageObject: o})
		if err != nil {
			return true
		}
		switch t.Type {
		case enums.FPDF_PAGEOBJ_TEXT:
			f, err := in.FPDFTextObj_GetFont(&requests.FPDFTextObj_GetFont{PageObject: o})
			if err != nil {
				return true
			}
			if e, err := in.FPDFFont_GetIsEmbedded(&requests.FPDFFont_GetIsEmbedded{Font: f.Font}); err != nil || !e.IsEmbedded {
				return true
			}
		case enums.FPDF_PAGEOBJ_FORM:
			c, err := in.FPDFFormObj_CountObjects(&requests.FPDFFormObj_CountObjects{PageObject: o})
			if err != nil || c.Count > budget {
				return true
			}
			budget -= c.Count
			for i := range c.Count {
				k, err := in.FPDFFormObj_GetObject(&requests.FPDFFormObj_GetObject{PageObject: o, Index: uint64(i)})
				if err != nil {
					return true
				}
				objs = append(objs, k.PageObject)
			}
		}
	}
	return false
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

// flat reports whether r has (next to) no height or width.
func (r pageRect) flat() bool {
	return math.Abs(r.top-r.bottom) < 0.5 || math.Abs(r.right-r.left) < 0.5
}

func (r pageRect) centre() (x, y float64) { return (r.left + r.right) / 2, (r.top + r.bottom) / 2 }

// charAt returns the index of the character at the centre of the text
// rectangle r, or -1.
func (in *instance) charAt(tp references.FPDF_TEXTPAGE, r pageRect) int {
	x, y := r.centre()
	at, err := in.FPDFText_GetCharIndexAtPos(&requests.FPDFText_GetCharIndexAtPos{TextPage: tp, X: x, Y: y, XTolerance: 2, YTolerance: 2})
	if err != nil {
		return -1
	}
	return at.CharIndex
}

// visibleChar reports whether the character at leaves a mark when drawn.
func (in *instance) visibleChar(tp references.FPDF_TEXTPAGE, at int) bool {
	if at < 0 {
		return false
	}
	u, err := in.FPDFText_GetUnicode(&requests.FPDFText_GetUnicode{TextPage: tp, Index: at})
	return err == nil && visible(rune(u.Unicode))
}

// looseArea gives the flat text rectangle r the height of the font box
// (FPDFText_GetLooseCharBox) of its character at.
func (in *instance) looseArea(tp references.FPDF_TEXTPAGE, r pageRect, at int) pageRect {
	lb, err := in.FPDFText_GetLooseCharBox(&requests.FPDFText_GetLooseCharBox{TextPage: tp, Index: at})
	if err != nil {
		return r
	}
	b := lb.Rect
	return pageRect{left: r.left, right: r.right, top: max(r.top, float64(b.Top)), bottom: min(r.bottom, float64(b.Bottom))}
}

// charFont returns the font of the character at (an index, or -1 for
// none known), and whether its missing ink means lost text: it is set in
// a font the PDF does not embed, and meant to be seen: not in render mode
// 3 (invisible, the text layer of scanned pages) or 7 (clip only), not
// filled transparent or in the colour of its background bg.
func (in *instance) charFont(tp references.FPDF_TEXTPAGE, at int, bg color.RGBA) (string, bool) {
	if at < 0 {
		return "", false
	}
	obj, err := in.FPDFText_GetTextObject(&requests.FPDFText_GetTextObject{TextPage: tp, Index: at})
	if err != nil {
		return "", false
	}
	mode, err := in.FPDFTextObj_GetTextRenderMode(&requests.FPDFTextObj_GetTextRenderMode{PageObject: obj.TextObject})
	if err != nil || mode.TextRenderMode == enums.FPDF_TEXTRENDERMODE_INVISIBLE || mode.TextRenderMode == enums.FPDF_TEXTRENDERMODE_CLIP {
		return "", false
	}
	f, err := in.FPDFTextObj_GetFont(&requests.FPDFTextObj_GetFont{PageObject: obj.TextObject})
	if err != nil {
		return "", false
	}
	if e, err := in.FPDFFont_GetIsEmbedded(&requests.FPDFFont_GetIsEmbedded{Font: f.Font}); err != nil || e.IsEmbedded {
		return "", false
	}
	if c, err := in.FPDFText_GetFillColor(&requests.FPDFText_GetFillColor{TextPage: tp, Index: at}); err == nil {
		if c.A == 0 || near(c.R, bg.R) && near(c.G, bg.G) && near(c.B, bg.B) {
			return "", false
		}
	}
	fi, err := in.FPDFText_GetFontInfo(&requests.FPDFText_GetFontInfo{TextPage: tp, Index: at})
	if err != nil {
		return "", true
	}
	return fi.FontName, true
}

func near(c uint, level uint8) bool {
	d := int(c) - int(level)
	return d > -inkLevel && d < inkLevel
}

// visible reports whether c leaves a mark when drawn: not white space,
// not a control character, not PDFium's replacement for unmapped codes
// (which may well have had a glyph, so it is judged like any other).
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

// affine maps page space (points, y up) to the rendered image's pixels.
type affine struct{ a, b, c, d, e, f float64 }

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

// box returns the pixels covered by the page-space rectangle r.
func (m affine) box(r pageRect) image.Rectangle {
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, p := range [4][2]float64{{r.left, r.top}, {r.right, r.top}, {r.left, r.bottom}, {r.right, r.bottom}} {
		x := m.a*p[0] + m.c*p[1] + m.e
		y := m.b*p[0] + m.d*p[1] + m.f
		minX, maxX = min(minX, x), max(maxX, x)
		minY, maxY = min(minY, y), max(maxY, y)
	}
	if math.IsNaN(minX+minY+maxX+maxY) || math.IsInf(minX+minY+maxX+maxY, 0) {
		return image.Rectangle{}
	}
	clamp := func(v float64) int { return int(max(min(v, 1<<20), -1<<20)) }
	return image.Rect(clamp(math.Floor(minX)), clamp(math.Floor(minY)), clamp(math.Ceil(maxX)), clamp(math.Ceil(maxY)))
}
