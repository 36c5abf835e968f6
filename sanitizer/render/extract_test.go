package render

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/textsim"
	"github.com/mugai-project/mugai/sanitizer/verify"
)

// verticalJapaneseColumns are the columns of verticalJapanesePDF.
var verticalJapaneseColumns = []string{"拝啓時下ますますご清栄のこととお喜び申し上げます", "さてこのたび下記のとおり説明会を開催いたします"}

// verticalJapanesePDF sets two columns of Japanese prose top to bottom,
// right to left (UniJIS-UCS2-V), in the non-embedded font of japanesePDF.
func verticalJapanesePDF(t testing.TB) []byte {
	t.Helper()
	var b pdfBuilder
	font := jpFont(&b, "MS-Mincho", 6, "UniJIS-UCS2-V")
	var c strings.Builder
	for i, col := range verticalJapaneseColumns {
		fmt.Fprintf(&c, "BT /F1 20 Tf %d 800 Td <", 520-40*i)
		for _, r := range col {
			fmt.Fprintf(&c, "%04X", r)
		}
		c.WriteString("> Tj ET\n")
	}
	content := b.addStream("", []byte(c.String()), false)
	return pagesPDF(&b, "[0 0 595 842]", fmt.Sprintf("<< /Font << /F1 %d 0 R >> >>", font), []int{content})
}

// TestFlattenKeepsPageText: a flattened PDF's invisible layer, from the
// page's own text read by PDFium, gives pdftotext back the text that
// pdftotext reads from the original, in order: Latin, Japanese prose,
// a rotated page and vertical Japanese.
func TestFlattenKeepsPageText(t *testing.T) {
	p := testPool(t)
	for _, tc := range []struct {
		name string
		pdf  []byte
	}{
		{"Latin", textPDF(t, 2)},
		{"JapaneseProse", japaneseTextPDF(t, 1)},
		{"Rotated", rotatedPDF(t)},
		{"VerticalJapanese", verticalJapanesePDF(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := pdftotext(t, tc.pdf)
			if strings.TrimSpace(want) == "" {
				t.Fatal("the original has no text for pdftotext")
			}
			var out bytes.Buffer
			st, err := p.Flatten(context.Background(), bytes.NewReader(tc.pdf), int64(len(tc.pdf)), &out, Limits{Text: TextLayer{Mode: "extract"}})
			if err != nil {
				t.Fatal(err)
			}
			if st.Text.Extracted != st.Pages {
				t.Errorf("%d of %d pages had their own text", st.Text.Extracted, st.Pages)
			}
			got := pdftotext(t, out.Bytes())
			if sim := textsim.InOrder(want, got); sim < 0.98 {
				t.Errorf("pdftotext gave back %.1f%% of the original's text in order, want ≥ 98%%:\nwant %q\ngot  %q", sim*100, want[:min(len(want), 400)], got[:min(len(got), 400)])
			}
			if _, err := (verify.PDFOptions{Flattened: true}).Check(context.Background(), bytes.NewReader(out.Bytes()), int64(out.Len())); err != nil {
				t.Errorf("verifier refused: %v", err)
			}
		})
	}
}
