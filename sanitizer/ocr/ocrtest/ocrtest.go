// Package ocrtest makes the scanned pages that OCR is tested with: known
// Japanese text drawn in a Japanese font as a scanner would deliver it,
// in horizontal lines (横書き) or in vertical columns (縦書き).
package ocrtest

import (
	"image"
	"image/draw"
	"os"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Text is the known text of the scanned test page.
var Text = []string{
	"令和八年度住民税の納税通知書",
	"納期限までに最寄りの金融機関で納付してください。",
	"ご不明な点は市民課までお問い合わせください。",
	"電話番号 03-1234-5678",
}

// VerticalText is the known text of the vertical (縦書き) test page, one
// column a line, as a municipal notice sets it: numbers in kanji.
var VerticalText = []string{
	"令和八年度住民税の納税通知書",
	"納期限までに最寄りの金融機関で納付してください。",
	"ご不明な点は市民課までお問い合わせください。",
	"市役所の窓口は午前八時半から午後五時まで開いています。",
}

// page returns a white A4 page at dpi and a drawer in IPA Gothic (Debian
// fonts-ipafont-gothic) at pt points; the caller closes the face.
func page(tb testing.TB, dpi int, pt float64) (*image.RGBA, *font.Drawer) {
	tb.Helper()
	data, err := os.ReadFile("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf")
	if err != nil {
		tb.Skipf("needs Debian package fonts-ipafont-gothic: %v", err)
	}
	f, err := opentype.Parse(data)
	if err != nil {
		tb.Fatal(err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: pt, DPI: float64(dpi), Hinting: font.HintingFull})
	if err != nil {
		tb.Fatal(err)
	}
	w, h := 210*dpi*10/254, 297*dpi*10/254
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	return img, &font.Drawer{Dst: img, Src: image.Black, Face: face}
}

// ScannedPage draws lines in IPA Gothic at pt points on a white A4 page
// at dpi, as a scanner would deliver it.
func ScannedPage(tb testing.TB, lines []string, dpi int, pt float64) *image.RGBA {
	tb.Helper()
	img, d := page(tb, dpi, pt)
	defer d.Face.Close()
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	px := pt * float64(dpi) / 72
	for i, line := range lines {
		d.Dot = fixed.P(w/10, h/8+int(float64(i)*px*2))
		d.DrawString(line)
	}
	return img
}

// VerticalPage draws lines as vertical columns, the first at the right,
// each character upright in its em square under the one before, in IPA
// Gothic at pt points on a white A4 page at dpi. The ideographic comma
// and full stop sit at the top right of their square, as vertical
// typesetting places them.
func VerticalPage(tb testing.TB, lines []string, dpi int, pt float64) *image.RGBA {
	tb.Helper()
	img, d := page(tb, dpi, pt)
	defer d.Face.Close()
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	em := pt * float64(dpi) / 72
	// The face's ascent puts the baseline at this share of the em square.
	const baseline = 0.88
	for i, line := range lines {
		x := float64(w)*9/10 - em - float64(i)*em*2
		y := float64(h) / 10
		for _, r := range line {
			dx, dy := 0.0, baseline*em
			if r == '、' || r == '。' {
				dx, dy = em*0.6, baseline*em-em*0.6
			}
			d.Dot = fixed.P(int(x+dx), int(y+dy))
			d.DrawString(string(r))
			y += em
		}
	}
	return img
}
