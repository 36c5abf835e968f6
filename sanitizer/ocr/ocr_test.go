package ocr

import (
	"context"
	"errors"
	"image"
	"image/draw"
	"os"
	"strings"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/mugai-project/mugai/internal/bwrap"
	"github.com/mugai-project/mugai/internal/textsim"
)

// scanText is the known text of the scanned test page.
var scanText = []string{
	"令和八年度住民税の納税通知書",
	"納期限までに最寄りの金融機関で納付してください。",
	"ご不明な点は市民課までお問い合わせください。",
	"電話番号 03-1234-5678",
}

// scannedPage draws lines in IPA Gothic (Debian fonts-ipafont-gothic) at
// pt points on a white A4 page at dpi, as a scanner would deliver it.
func scannedPage(tb testing.TB, lines []string, dpi int, pt float64) *image.RGBA {
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

func needEngine(tb testing.TB) *Engine {
	tb.Helper()
	e, err := New(context.Background(), Options{Sandbox: bwrap.Options{TempDir: tb.TempDir()}})
	if errors.Is(err, ErrUnavailable) {
		tb.Skipf("OCR cannot run here: %v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// TestOCRScannedJapanesePage: tesseract, in its sandbox, reads a scanned
// Japanese page back with at least 90% of its characters in order, and
// every word's box lies on the page.
func TestOCRScannedJapanesePage(t *testing.T) {
	e := needEngine(t)
	img := scannedPage(t, scanText, 150, 12)
	words, err := e.Page(context.Background(), img, 150)
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for i, w := range words {
		if i > 0 && w.Line != words[i-1].Line {
			got.WriteByte('\n')
		}
		got.WriteString(w.Text)
		if !w.Box.In(img.Bounds()) || w.Box.Empty() {
			t.Errorf("word %q box %v is not on the page %v", w.Text, w.Box, img.Bounds())
		}
	}
	if sim := textsim.InOrder(strings.Join(scanText, "\n"), got.String()); sim < 0.9 {
		t.Errorf("OCR gave back %.1f%% in order, want ≥ 90%%:\n%s", sim*100, got.String())
	} else {
		t.Logf("OCR gave back %.1f%% in order", sim*100)
	}
}

// TestOCRUnavailable: a missing tesseract is ErrUnavailable, never an
// unsandboxed run.
func TestOCRUnavailable(t *testing.T) {
	for _, o := range []Options{{Tesseract: "/nonexistent/tesseract"}, {Sandbox: bwrap.Options{Bwrap: "/nonexistent/bwrap"}}} {
		if _, err := New(context.Background(), o); !errors.Is(err, ErrUnavailable) {
			t.Errorf("New(%+v) = %v, want ErrUnavailable", o, err)
		}
	}
}

// TestOCRDeadline: a page whose deadline has passed is not read.
func TestOCRDeadline(t *testing.T) {
	e := needEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Page(ctx, image.NewRGBA(image.Rect(0, 0, 100, 100)), 150); err == nil {
		t.Fatal("a cancelled page was read")
	}
}
