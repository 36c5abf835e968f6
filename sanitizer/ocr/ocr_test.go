package ocr

import (
	"context"
	"errors"
	"image"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/bwrap"
	"github.com/mugai-project/mugai/internal/textsim"
	"github.com/mugai-project/mugai/sanitizer/ocr/ocrtest"
)

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
	img := ocrtest.ScannedPage(t, ocrtest.Text, 150, 12)
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
	if sim := textsim.InOrder(strings.Join(ocrtest.Text, "\n"), got.String()); sim < 0.9 {
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
