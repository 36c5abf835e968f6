package render

import (
	"bytes"
	"compress/zlib"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/font/sfnt"

	"github.com/mugai-project/mugai/internal/textsim"
	"github.com/mugai-project/mugai/sanitizer/verify"
)

// layoutLines places each line of text as characters of size pt: lines
// left to right from the top of an A4 page, or, vertical, columns top to
// bottom from the right. Latin letters are half as wide as they are high.
func layoutLines(lines []string, pt float64, vertical bool) []Char {
	var out []Char
	for i, line := range lines {
		x, y := 50.0, 800-float64(i)*pt*1.5
		if vertical {
			x, y = 545-float64(i)*pt*1.5, 800
		}
		for _, r := range line {
			w := pt
			if r < 0x2E80 {
				w = pt / 2
			}
			if vertical {
				out = append(out, Char{R: r, X0: x - pt/2, Y0: y - pt, X1: x + pt/2, Y1: y, Vertical: true})
				y -= pt
				continue
			}
			out = append(out, Char{R: r, X0: x, Y0: y - pt, X1: x + w, Y1: y})
			x += w
		}
	}
	return out
}

// layerPDF writes a one-page flattened PDF (a white image) with chars as
// its text layer.
func layerPDF(t *testing.T, chars []Char) []byte {
	t.Helper()
	var b bytes.Buffer
	pw := newPDFWriter(&b)
	pw.text = newTextLayer()
	var white bytes.Buffer
	zw := zlib.NewWriter(&white)
	zw.Write([]byte{0xFF})
	zw.Close()
	img := &pdfImage{Width: 1, Height: 1, ColorSpace: "/DeviceGray", BPC: 8, Filter: "/FlateDecode", Data: white.Bytes()}
	if err := pw.page(595, 842, img, chars); err != nil {
		t.Fatal(err)
	}
	if err := pw.finish(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pdftotext(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	in := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", in, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	return string(out)
}

// TestTextLayerReadsBack: pdftotext gives back the text of a flattened
// page's invisible layer, in order, for Latin and Japanese, horizontal
// and vertical, and the independent verifier accepts the page.
func TestTextLayerReadsBack(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lines    []string
		vertical bool
	}{
		{"Latin", []string{"Notice of tax assessment for fiscal year 2026,", "Payment due by 31 January (account 1234-567)."}, false},
		{"Japanese", []string{"令和八年度　住民税の納税通知書について", "納期限までに最寄りの金融機関で納付してください。"}, false},
		{"Mixed", []string{"問い合わせ先：市民課 TEL 03-1234-5678 (平日9時〜17時)"}, false},
		{"JapaneseVertical", []string{"拝啓　時下ますますご清栄のこととお喜び申し上げます。", "さて、このたび下記のとおり説明会を開催いたします。"}, true},
		{"NonBMP", []string{"𠮷野家の𩸽定食"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pdf := layerPDF(t, layoutLines(tc.lines, 12, tc.vertical))
			got := pdftotext(t, pdf)
			want := strings.Join(tc.lines, "\n")
			if sim := textsim.InOrder(want, got); sim < 0.98 {
				t.Errorf("pdftotext gave back %.1f%% in order, want ≥ 98%%:\n%s", sim*100, got)
			}
			if _, err := verify.PDF(context.Background(), bytes.NewReader(pdf), int64(len(pdf))); err != nil {
				t.Errorf("verifier refused the page: %v", err)
			}
		})
	}
}

// TestTextLayerDropsControls: control and bidi-override characters never
// reach the layer, so a copied text cannot be reordered or hold escapes.
func TestTextLayerDropsControls(t *testing.T) {
	chars := layoutLines([]string{"ab\u202Edc\u2066e\x1bf\u200Fg\uFEFFh"}, 12, false)
	got := pdftotext(t, layerPDF(t, chars))
	for _, r := range "\u202E\u2066\x1b\u200F\uFEFF" {
		if strings.ContainsRune(got, r) {
			t.Errorf("pdftotext output %q holds %U", got, r)
		}
	}
	if sim := textsim.InOrder("abdcefgh", got); sim < 1 {
		t.Errorf("got %q, want abdcefgh", got)
	}
}

// TestGlyphlessFontParses: the embedded font program is a valid
// TrueType font with one glyph.
func TestGlyphlessFontParses(t *testing.T) {
	f, err := sfnt.Parse(glyphlessFont())
	if err != nil {
		t.Fatal(err)
	}
	if n := f.NumGlyphs(); n != 1 {
		t.Errorf("%d glyphs, want 1", n)
	}
}
