package ocr

import (
	"context"
	"errors"
	"fmt"
	"image"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/bwrap"
	"github.com/mugai-project/mugai/internal/textsim"
	"github.com/mugai-project/mugai/sanitizer/ocr/ocrtest"
)

// needEngine is an Engine of o, its work folders under the test's; the
// test is skipped where OCR cannot run.
func needEngine(tb testing.TB, o Options) *Engine {
	tb.Helper()
	o.Sandbox.TempDir = tb.TempDir()
	e, err := New(context.Background(), o)
	if errors.Is(err, ErrUnavailable) {
		tb.Skipf("OCR cannot run here: %v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// TestOCRScannedJapanesePage: tesseract, in its sandbox, reads a scanned
// Japanese page, in horizontal lines or in vertical columns (縦書き), at
// the default 150 dpi and at 300 dpi, back with at least 90% of its
// characters in reading order; every word's box lies on the page, and
// the words of a vertical page are marked vertical.
func TestOCRScannedJapanesePage(t *testing.T) {
	e := needEngine(t, Options{})
	for _, tc := range []struct {
		name     string
		lines    []string
		page     func(testing.TB, []string, int, float64) *image.RGBA
		vertical bool
	}{
		{"Horizontal", ocrtest.Text, ocrtest.ScannedPage, false},
		{"Vertical", ocrtest.VerticalText, ocrtest.VerticalPage, true},
	} {
		for _, dpi := range []int{150, 300} {
			t.Run(fmt.Sprintf("%s%d", tc.name, dpi), func(t *testing.T) {
				img := tc.page(t, tc.lines, dpi, 12)
				words, err := e.Page(context.Background(), img, dpi)
				if err != nil {
					t.Fatal(err)
				}
				var got strings.Builder
				vertical := 0
				for i, w := range words {
					if i > 0 && w.Line != words[i-1].Line {
						got.WriteByte('\n')
					}
					got.WriteString(w.Text)
					if !w.Box.In(img.Bounds()) || w.Box.Empty() {
						t.Errorf("word %q box %v is not on the page %v", w.Text, w.Box, img.Bounds())
					}
					if w.Vertical {
						vertical++
					}
				}
				if sim := textsim.InOrder(strings.Join(tc.lines, "\n"), got.String()); sim < 0.9 {
					t.Errorf("OCR gave back %.1f%% in order, want ≥ 90%%:\n%s", sim*100, got.String())
				} else {
					t.Logf("OCR gave back %.1f%% in order", sim*100)
				}
				if tc.vertical != (vertical > len(words)/2) {
					t.Errorf("%d of %d words vertical on a page vertical=%v", vertical, len(words), tc.vertical)
				}
			})
		}
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

// TestOCRVerticalModelMissing: a vertical page whose vertical model is
// not installed is ErrUnavailable, not the noise the horizontal model
// reads in it.
func TestOCRVerticalModelMissing(t *testing.T) {
	e := needEngine(t, Options{Vertical: "mugai_missing_vert"})
	words, err := e.Page(context.Background(), ocrtest.VerticalPage(t, ocrtest.VerticalText, 150, 12), 150)
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Page = %d words, %v; want ErrUnavailable", len(words), err)
	}
}

// TestOCRDeadline: a page whose deadline has passed is not read.
func TestOCRDeadline(t *testing.T) {
	e := needEngine(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Page(ctx, image.NewRGBA(image.Rect(0, 0, 100, 100)), 150); err == nil {
		t.Fatal("a cancelled page was read")
	}
}
