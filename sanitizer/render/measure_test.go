package render

import (
	"bytes"
	"cmp"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// sizedJapanesePDF is one A4 page of Japanese prose at size pt in a
// non-embedded font; with seal, a red circle with a red 印 (a personal seal
// as on municipal forms) is drawn in the corner.
func sizedJapanesePDF(t testing.TB, size float64, seal bool) []byte {
	t.Helper()
	var b pdfBuilder
	font := jpFont(&b, "MS-Mincho", 6, "UniJIS-UCS2-H")
	prose := []rune(strings.Repeat(japaneseProse, 40))
	perLine := int(460 / size)
	var c strings.Builder
	fmt.Fprintf(&c, "BT /F1 %g Tf %g TL 66 780 Td\n", size, size*1.5)
	for l := range int(700 / (size * 1.5)) {
		start := (l * perLine) % (len(prose) - perLine)
		showUCS2(&c, prose[start:start+perLine])
	}
	c.WriteString("ET\n")
	if seal {
		// A circle of radius 30 at (500, 80) by four Béziers, 2 pt red,
		// and 印 in red inside.
		const k = 30 * 0.5523
		fmt.Fprintf(&c, "q 0.85 0.1 0.1 RG 2 w 530 80 m 530 %g %g 110 500 110 c %g 110 470 %g 470 80 c 470 %g %g 50 500 50 c %g 50 530 %g 530 80 c S Q\n",
			80+k, 500+k, 500-k, 80+k, 80-k, 500-k, 500+k, 80-k)
		fmt.Fprintf(&c, "q 0.85 0.1 0.1 rg BT /F1 36 Tf 482 67 Td <5370> Tj ET Q\n")
	}
	content := b.addStream("", []byte(c.String()), true)
	return pagesPDF(&b, "[0 0 595 842]", fmt.Sprintf("<< /Font << /F1 %d 0 R >> >>", font), []int{content})
}

// plainLatinPDF is textPDF without the blue rule: black text only.
func plainLatinPDF(t testing.TB, pages int) []byte {
	t.Helper()
	return latinPDF(t, pages, "[0 0 595.28 841.89]", "")
}

// grayFillPDF is text with a gray table header and a gray box: a page
// without colour that thresholding would spoil.
func grayFillPDF(t testing.TB) []byte {
	t.Helper()
	var b pdfBuilder
	font := b.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	var c strings.Builder
	c.WriteString("0.8 g 56 700 483 30 re f 0.9 g 56 300 483 200 re f 0 g\n")
	c.WriteString("BT /F1 10 Tf 13 TL 56 790 Td\n")
	for l := range 56 {
		fmt.Fprintf(&c, "(%d %s) '\n", l+1, lorem[:60+(l*7)%60])
	}
	c.WriteString("ET\n")
	content := b.addStream("", []byte(c.String()), true)
	return pagesPDF(&b, "[0 0 595.28 841.89]", fmt.Sprintf("<< /Font << /F1 %d 0 R >> >>", font), []int{content})
}

// TestMeasureEncodings writes the measurement inputs to $MUGAI_MEASURE_DIR
// and, for them and any other PDF there, prints per page the bytes of each
// way of storing a page without colour and the share of mid-gray pixels,
// and writes flattened outputs (name.<policy>.pdf) for viewing.
// $MUGAI_MEASURE_ONLY names one file of the folder to measure alone.
func TestMeasureEncodings(t *testing.T) {
	dir := os.Getenv("MUGAI_MEASURE_DIR")
	if dir == "" {
		t.Skip("MUGAI_MEASURE_DIR not set")
	}
	for name, in := range map[string][]byte{
		"latin.pdf":     plainLatinPDF(t, 1),
		"ja9.pdf":       sizedJapanesePDF(t, 9, false),
		"ja10_5.pdf":    sizedJapanesePDF(t, 10.5, false),
		"seal.pdf":      sizedJapanesePDF(t, 10.5, true),
		"photo.pdf":     photoPDF(t),
		"grayfill.pdf":  grayFillPDF(t),
		"latinblue.pdf": textPDF(t, 1),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), in, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	p := testPool(t)
	policies := []struct {
		name string
		opt  encodeOptions
	}{{"gray2", encodeOptions{grayBits: 2}}, {"g4x1", encodeOptions{grayBits: 2, bilevelScale: 1}}, {"g4x2", encodeOptions{grayBits: 2, bilevelScale: 2}}}
	if only := os.Getenv("MUGAI_MEASURE_ONLY"); only != "" {
		files = []string{filepath.Join(dir, only)}
	}
	for _, f := range files {
		if strings.Count(filepath.Base(f), ".") > 1 {
			continue // an output
		}
		in, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		err = p.PageImages(t.Context(), bytes.NewReader(in), int64(len(in)), Limits{}, func(pg Page) error {
			line := fmt.Sprintf("%-16s p%d in %6d", filepath.Base(f), pg.Index+1, len(in))
			for _, pol := range policies {
				e, err := encodePage(pg.Image, pol.opt)
				if err != nil {
					return err
				}
				line += fmt.Sprintf(" | %s %s %7d", pol.name, e.enc, e.size())
				e.free()
			}
			line += " | " + grayStats(pg.Image)
			fmt.Println(line)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, pol := range policies {
			q, err := New(t.Context(), Options{Instances: 1, Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			q.opts.GrayBits = pol.opt.grayBits
			q.opts.BilevelScale = cmp.Or(pol.opt.bilevelScale, -1)
			var out bytes.Buffer
			st, err := q.Flatten(t.Context(), bytes.NewReader(in), int64(len(in)), &out, Limits{})
			q.Close()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Printf("%-16s %-6s pages %d in %7d out %8d out/page %7d ratio %6.2f %v\n", filepath.Base(f), pol.name, st.Pages, len(in), out.Len(), out.Len()/st.Pages, float64(out.Len())/float64(len(in)), st.Encodings)
			if err := os.WriteFile(strings.TrimSuffix(f, ".pdf")+"."+pol.name+".pdf", out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// grayStats gives the share of each gray level 1 to 14 (of 15, in
// thousandths of the page), of dark (levels 0-3), mid (4-11) and
// light-but-not-white (12-14) pixels, and of the most frequent mid level.
func grayStats(img *image.RGBA) string {
	var n [16]int
	for i := 0; i < len(img.Pix); i += 4 {
		n[q4(img.Pix[i+1])]++
	}
	sum := func(a, b int) (s int) {
		for _, v := range n[a : b+1] {
			s += v
		}
		return s
	}
	top := slices.Max(n[4:12])
	px := float64(len(img.Pix) / 4)
	var per []string
	for _, v := range n[1:15] {
		per = append(per, fmt.Sprintf("%.2f", 1000*float64(v)/float64(len(img.Pix)/4)))
	}
	return strings.Join(per, " ") + fmt.Sprintf(" dark %.4f mid %.4f light %.4f topmid %.4f", float64(sum(0, 3))/px, float64(sum(4, 11))/px, float64(sum(12, 14))/px, float64(top)/px)
}
