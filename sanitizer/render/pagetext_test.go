package render

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/bwrap"
	"github.com/mugai-project/mugai/internal/textsim"
	"github.com/mugai-project/mugai/sanitizer/ocr"
	"github.com/mugai-project/mugai/sanitizer/ocr/ocrtest"
	"github.com/mugai-project/mugai/sanitizer/verify"
)

// scanPDF is an image-only PDF of a scanned Japanese page, as a
// municipality receives from a multifunction printer.
func scanPDF(t testing.TB) []byte {
	t.Helper()
	e, err := encodePage(ocrtest.ScannedPage(t, ocrtest.Text, 150, 12), encodeOptions{grayBits: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer e.free()
	var b bytes.Buffer
	pw := newPDFWriter(&b)
	if err := pw.page(595.28, 841.89, e.img.Width, e.img.Height, &e.img, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := pw.finish(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func needOCR(t testing.TB) *ocr.Engine {
	t.Helper()
	e, err := ocr.New(context.Background(), ocr.Options{Sandbox: bwrap.Options{TempDir: t.TempDir()}})
	if errors.Is(err, ocr.ErrUnavailable) {
		t.Skipf("OCR cannot run here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestFlattenScanGetsOCRTextLayer: a scanned page flattened with the
// text layer "auto" or "ocr" carries the text OCR read as an invisible
// layer that pdftotext gives back, and the output passes the verifier;
// with "extract" or "off" it carries none, and without OCR the stats say
// why.
func TestFlattenScanGetsOCRTextLayer(t *testing.T) {
	p := testPool(t)
	eng := needOCR(t)
	in := scanPDF(t)
	for _, tc := range []struct {
		mode    string
		ocr     PageReader
		text    bool
		skipped int
	}{
		{"auto", eng, true, 0},
		{"ocr", eng, true, 0},
		{"extract", eng, false, 0},
		{"off", eng, false, 0},
		{"auto", nil, false, 1},
	} {
		name := tc.mode
		if tc.ocr == nil {
			name += "WithoutOCR"
		}
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			st, err := p.Flatten(context.Background(), bytes.NewReader(in), int64(len(in)), &out,
				Limits{Text: TextLayer{Mode: tc.mode, OCR: tc.ocr}})
			if err != nil {
				t.Fatal(err)
			}
			if st.Text.Skipped != tc.skipped {
				t.Errorf("skipped %d pages, want %d (%v)", st.Text.Skipped, tc.skipped, st.Text.OCRErr)
			}
			if tc.skipped > 0 && !errors.Is(st.Text.OCRErr, ocr.ErrUnavailable) {
				t.Errorf("OCRErr = %v, want ErrUnavailable", st.Text.OCRErr)
			}
			got := pdftotext(t, out.Bytes())
			sim := textsim.InOrder(strings.Join(ocrtest.Text, "\n"), got)
			switch {
			case tc.text && sim < 0.9:
				t.Errorf("pdftotext gave back %.1f%% in order, want ≥ 90%%:\n%s", sim*100, got)
			case !tc.text && strings.TrimSpace(got) != "":
				t.Errorf("a page without a layer has text %q", got)
			}
			if _, err := verify.PDF(context.Background(), bytes.NewReader(out.Bytes()), int64(out.Len())); err != nil {
				t.Errorf("verifier refused: %v", err)
			}
		})
	}
}

// TestFlattenOCRLeavesTime: near the document's deadline a page is not
// read by OCR; the document is still flattened, the page without text.
func TestFlattenOCRLeavesTime(t *testing.T) {
	p := testPool(t)
	eng := needOCR(t)
	in := scanPDF(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var out bytes.Buffer
	st, err := p.Flatten(ctx, bytes.NewReader(in), int64(len(in)), &out, Limits{Text: TextLayer{Mode: "auto", OCR: eng}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Text.OCR != 0 || st.Text.Skipped != 1 || st.Text.OCRErr == nil {
		t.Errorf("text stats %+v, want the page skipped for time", st.Text)
	}
}
