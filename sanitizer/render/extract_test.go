package render

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/klippa-app/go-pdfium/requests"

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
// pdftotext reads from the original, in order, and PDFium (Chromium's
// viewer) the text that PDFium reads from it: Latin, Japanese prose, a
// rotated page and vertical Japanese.
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
			want, got = pdfiumText(t, p, tc.pdf), pdfiumText(t, p, out.Bytes())
			if sim := textsim.InOrder(want, got); sim < 0.98 {
				t.Errorf("PDFium gave back %.1f%% of the original's text in order, want ≥ 98%%:\nwant %q\ngot  %q", sim*100, want[:min(len(want), 400)], got[:min(len(got), 400)])
			}
			if _, err := (verify.PDFOptions{Flattened: true}).Check(context.Background(), bytes.NewReader(out.Bytes()), int64(out.Len())); err != nil {
				t.Errorf("verifier refused: %v", err)
			}
		})
	}
}

// TestPageCharsTurnWithTheirText: each character's Rot is its baseline's
// quarter turns on the flattened page, for text set at 0, 90, 180 and 270
// degrees, slanted (a synthetic italic) and on a page turned by /Rotate.
func TestPageCharsTurnWithTheirText(t *testing.T) {
	var b pdfBuilder
	font := b.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	matrices := []struct {
		tm   string
		want int
	}{
		{"1 0 0 1 100 700", 0},
		{"0 1 -1 0 300 500", 1},
		{"-1 0 0 -1 400 300", 2},
		{"0 -1 1 0 100 300", 3},
		{"1 0 0.3 1 100 100", 0},
		{"0.9 0.44 -0.44 0.9 300 100", 0}, // 26 degrees: nearer no turn than a quarter
	}
	var c strings.Builder
	for i, m := range matrices { // two letters each: AB, CD, ...
		fmt.Fprintf(&c, "BT /F1 24 Tf %s Tm (%c%c) Tj ET\n", m.tm, 'A'+2*i, 'B'+2*i)
	}
	content := b.addStream("", []byte(c.String()), false)
	res := fmt.Sprintf("<< /Font << /F1 %d 0 R >> >>", font)
	upright := pagesPDF(&b, "[0 0 595 842]", res, []int{content})
	var r pdfBuilder
	font = r.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	content = r.addStream("", []byte(c.String()), false)
	turned := pagesPDF(&r, "[0 0 595 842] /Rotate 90", fmt.Sprintf("<< /Font << /F1 %d 0 R >> >>", font), []int{content})

	p := testPool(t)
	for _, tc := range []struct {
		name string
		pdf  []byte
		turn int // quarter turns the page adds, counter-clockwise
	}{{"upright", upright, 0}, {"Rotate90", turned, 3}} {
		t.Run(tc.name, func(t *testing.T) {
			inst, doc, done := openTestDoc(t, p, tc.pdf)
			defer done()
			pages, _, err := inst.checkPages(doc, Limits{}.withDefaults())
			if err != nil {
				t.Fatal(err)
			}
			pi := pages[0]
			page := requests.Page{ByIndex: &requests.PageByIndex{Document: doc, Index: 0}}
			chars := inst.pageChars(page, pi, pi.WidthPx, pi.HeightPx)
			got := map[rune]int{}
			for _, ch := range chars {
				if ch.R != ' ' {
					got[ch.R] = ch.Rot
				}
			}
			want := map[rune]int{}
			for i, m := range matrices {
				want['A'+2*rune(i)], want['B'+2*rune(i)] = (m.want+tc.turn)&3, (m.want+tc.turn)&3
			}
			if !maps.Equal(got, want) {
				t.Errorf("turns of the characters = %v, want %v", got, want)
			}
		})
	}
}
