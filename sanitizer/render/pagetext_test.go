package render

import (
	"bytes"
	"context"
	"errors"
	"image"
	"math"
	"regexp"
	"strconv"
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
	return imagePDF(t, ocrtest.ScannedPage(t, ocrtest.Text, 150, 12))
}

// imagePDF is an image-only A4 PDF of the page img.
func imagePDF(t testing.TB, img *image.RGBA) []byte {
	t.Helper()
	e, err := encodePage(img, encodeOptions{grayBits: 8})
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

// TestFlattenVerticalScanGetsVerticalTextLayer: a scanned page of
// vertical columns (縦書き) flattened with OCR carries its text as
// vertical text, the columns from the right, that pdftotext gives back
// with at least 90% of its characters in reading order.
func TestFlattenVerticalScanGetsVerticalTextLayer(t *testing.T) {
	p := testPool(t)
	eng := needOCR(t)
	in := imagePDF(t, ocrtest.VerticalPage(t, ocrtest.VerticalText, 150, 12))
	var out bytes.Buffer
	st, err := p.Flatten(context.Background(), bytes.NewReader(in), int64(len(in)), &out,
		Limits{Text: TextLayer{Mode: "auto", OCR: eng}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Text.OCR != 1 {
		t.Fatalf("text stats %+v, want the page read by OCR", st.Text)
	}
	got := pdftotext(t, out.Bytes())
	if sim := textsim.InOrder(strings.Join(ocrtest.VerticalText, "\n"), got); sim < 0.9 {
		t.Errorf("pdftotext gave back %.1f%% in order, want ≥ 90%%:\n%s", sim*100, got)
	} else {
		t.Logf("pdftotext gave back %.1f%% in order", sim*100)
	}
	lines := pdftotextLines(t, out.Bytes())
	if len(lines) < len(ocrtest.VerticalText) {
		t.Errorf("pdftotext found %d lines, want the page's %d columns", len(lines), len(ocrtest.VerticalText))
	}
	for _, l := range lines {
		if l.Dy() <= l.Dx() {
			t.Errorf("pdftotext's line %v is not vertical", l)
		}
	}
	if _, err := verify.PDF(context.Background(), bytes.NewReader(out.Bytes()), int64(out.Len())); err != nil {
		t.Errorf("verifier refused: %v", err)
	}
}

// pdftotextLines returns the boxes, in points, of the lines of text that
// pdftotext -bbox-layout finds in pdf.
func pdftotextLines(t *testing.T, pdf []byte) []image.Rectangle {
	t.Helper()
	out := runPdftotext(t, pdf, "-bbox-layout")
	var boxes []image.Rectangle
	for _, m := range lineBox.FindAllSubmatch(out, -1) {
		var f [4]int
		for i := range f {
			v, err := strconv.ParseFloat(string(m[i+1]), 64)
			if err != nil {
				t.Fatal(err)
			}
			f[i] = int(math.Round(v))
		}
		boxes = append(boxes, image.Rect(f[0], f[1], f[2], f[3]))
	}
	return boxes
}

var lineBox = regexp.MustCompile(`<line xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">`)

// TestWordChars: the characters of an OCR line share the line's box
// from its start, in order, abutting, a full-width character taking
// twice the length of another, whatever the rough boxes of its words
// (vertical, as wide as the line, from its top; horizontal, as high as
// the line, from its left, on one baseline); a space is added between
// Latin words and none between Japanese ones.
func TestWordChars(t *testing.T) {
	line := image.Rect(100, 10, 120, 110) // 20 px wide, 100 high: 5 characters of 20 px
	row := image.Rect(0, 200, 75, 210)    // 75 px: 4 full-width and 7 half-width characters
	words := []ocr.Word{
		{Text: "令和", Box: image.Rect(95, 10, 125, 30), Line: 0, LineBox: line, Vertical: true},
		{Text: "八年度", Box: image.Rect(104, 60, 116, 70), Line: 0, LineBox: line, Vertical: true},
		{Text: "納期", Box: image.Rect(0, 198, 60, 214), Line: 1, LineBox: row},
		{Text: "限", Box: image.Rect(10, 202, 12, 208), Line: 1, LineBox: row},
		{Text: "に", Box: image.Rect(30, 202, 32, 208), Line: 1, LineBox: row},
		{Text: "AB", Box: image.Rect(40, 200, 42, 209), Line: 1, LineBox: row},
		{Text: "CD", Box: image.Rect(44, 202, 80, 204), Line: 1, LineBox: row},
		{Text: "E", Box: image.Rect(70, 200, 80, 210), Line: 1, LineBox: row},
	}
	// One point a pixel on a page 300 points high.
	got := wordChars(words, 1, 1, 300)
	want := []Char{
		{R: '令', X0: 100, Y0: 270, X1: 120, Y1: 290, Vertical: true},
		{R: '和', X0: 100, Y0: 250, X1: 120, Y1: 270, Vertical: true},
		{R: '八', X0: 100, Y0: 230, X1: 120, Y1: 250, Vertical: true},
		{R: '年', X0: 100, Y0: 210, X1: 120, Y1: 230, Vertical: true},
		{R: '度', X0: 100, Y0: 190, X1: 120, Y1: 210, Vertical: true},
		{R: '納', X0: 0, Y0: 90, X1: 10, Y1: 100},
		{R: '期', X0: 10, Y0: 90, X1: 20, Y1: 100},
		{R: '限', X0: 20, Y0: 90, X1: 30, Y1: 100},
		{R: 'に', X0: 30, Y0: 90, X1: 40, Y1: 100},
		{R: 'A', X0: 40, Y0: 90, X1: 45, Y1: 100},
		{R: 'B', X0: 45, Y0: 90, X1: 50, Y1: 100},
		{R: ' ', X0: 50, Y0: 90, X1: 55, Y1: 100},
		{R: 'C', X0: 55, Y0: 90, X1: 60, Y1: 100},
		{R: 'D', X0: 60, Y0: 90, X1: 65, Y1: 100},
		{R: ' ', X0: 65, Y0: 90, X1: 70, Y1: 100},
		{R: 'E', X0: 70, Y0: 90, X1: 75, Y1: 100},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d characters %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if math.Abs(got[i].X0-want[i].X0) > 1e-9 || math.Abs(got[i].X1-want[i].X1) > 1e-9 ||
			math.Abs(got[i].Y0-want[i].Y0) > 1e-9 || math.Abs(got[i].Y1-want[i].Y1) > 1e-9 ||
			got[i].R != want[i].R || got[i].Vertical != want[i].Vertical {
			t.Errorf("character %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
