// Package ocrtest makes the scanned pages that OCR is tested with (in
// sanitizer/ocr, sanitizer/render and the fixture corpus's scans): known
// Japanese text drawn in a Japanese font as a scanner would deliver it,
// in horizontal lines (横書き) or in vertical columns (縦書き).
package ocrtest

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"io/fs"
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

// FontFile is the font the pages are drawn in: IPA Gothic, Debian
// fonts-ipafont-gothic.
const FontFile = "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"

// Draw draws lines in IPA Gothic at pt points on a white A4 page at dpi,
// as a scanner would deliver it: horizontal lines from the top left, or,
// vertical, columns from the top right, each character upright in its em
// square under the one before, the ideographic comma and full stop at
// the top right of their square as vertical typesetting places them.
// The same arguments always draw the same pixels.
func Draw(lines []string, dpi int, pt float64, vertical bool) (*image.RGBA, error) {
	data, err := os.ReadFile(FontFile)
	if err != nil {
		return nil, fmt.Errorf("ocrtest: needs Debian package fonts-ipafont-gothic: %w", err)
	}
	f, err := opentype.Parse(data)
	if err != nil {
		return nil, err
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: pt, DPI: float64(dpi), Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	defer face.Close()
	w, h := 210*dpi*10/254, 297*dpi*10/254
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	d := &font.Drawer{Dst: img, Src: image.Black, Face: face}
	em := pt * float64(dpi) / 72
	for i, line := range lines {
		if !vertical {
			d.Dot = fixed.P(w/10, h/8+int(float64(i)*em*2))
			d.DrawString(line)
			continue
		}
		x := float64(w)*9/10 - em - float64(i)*em*2
		y := float64(h) / 10
		// The face's ascent puts the baseline at this share of the em square.
		const baseline = 0.88
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
	return img, nil
}

// ScannedPage is Draw of horizontal lines; the test is skipped without
// the font.
func ScannedPage(tb testing.TB, lines []string, dpi int, pt float64) *image.RGBA {
	tb.Helper()
	return drawOrSkip(tb, lines, dpi, pt, false)
}

// VerticalPage is Draw of vertical columns; the test is skipped without
// the font.
func VerticalPage(tb testing.TB, lines []string, dpi int, pt float64) *image.RGBA {
	tb.Helper()
	return drawOrSkip(tb, lines, dpi, pt, true)
}

func drawOrSkip(tb testing.TB, lines []string, dpi int, pt float64, vertical bool) *image.RGBA {
	tb.Helper()
	img, err := Draw(lines, dpi, pt, vertical)
	if errors.Is(err, fs.ErrNotExist) {
		tb.Skip(err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return img
}
