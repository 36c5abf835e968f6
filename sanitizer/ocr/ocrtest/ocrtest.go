// Package ocrtest makes the scanned pages that OCR is tested with: known
// Japanese text drawn in a Japanese font as a scanner would deliver it.
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

// ScannedPage draws lines in IPA Gothic (Debian fonts-ipafont-gothic) at
// pt points on a white A4 page at dpi, as a scanner would deliver it.
func ScannedPage(tb testing.TB, lines []string, dpi int, pt float64) *image.RGBA {
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
	defer face.Close()
	w, h := 210*dpi*10/254, 297*dpi*10/254
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	d := &font.Drawer{Dst: img, Src: image.Black, Face: face}
	px := pt * float64(dpi) / 72
	for i, line := range lines {
		d.Dot = fixed.P(w/10, h/8+int(float64(i)*px*2))
		d.DrawString(line)
	}
	return img
}
