package render

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/image/font/sfnt"

	"github.com/mugai-project/mugai/internal/textsim"
	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
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
	pw.addTextLayer()
	var white bytes.Buffer
	zw := zlib.NewWriter(&white)
	zw.Write([]byte{0xFF})
	zw.Close()
	img := &pdfImage{Width: 1, Height: 1, ColorSpace: "/DeviceGray", BPC: 8, Filter: "/FlateDecode", Data: white.Bytes()}
	if err := pw.page(595, 842, 1, 1, img, nil, chars); err != nil {
		t.Fatal(err)
	}
	if err := pw.finish(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pdftotext(t *testing.T, pdf []byte) string {
	t.Helper()
	return string(runPdftotext(t, pdf))
}

// runPdftotext runs poppler's pdftotext with args on pdf and returns
// what it prints.
func runPdftotext(t *testing.T, pdf []byte, args ...string) []byte {
	t.Helper()
	return runPoppler(t, "pdftotext", pdf, append(args, "-enc", "UTF-8"), "-")
}

// runPoppler runs poppler's tool (skipping the test when it is not
// installed) on pdf, written to a file whose name comes between args
// and tail, and returns what it prints.
func runPoppler(t *testing.T, tool string, pdf []byte, args []string, tail ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s (poppler-utils) is not installed", tool)
	}
	in := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(tool, slices.Concat(args, []string{in}, tail)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v: %s", tool, err, stderr.Bytes())
	}
	return out
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
			if _, err := (verify.PDFOptions{Flattened: true}).Check(context.Background(), bytes.NewReader(pdf), int64(len(pdf))); err != nil {
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

// flatWithContent builds a one-page PDF in the flattener's layout whose
// page content is content and whose font /F0 is font (object 3).
func flatWithContent(content, font, pageExtra string) []byte {
	var white bytes.Buffer
	zw := zlib.NewWriter(&white)
	zw.Write([]byte{0xFF})
	zw.Close()
	ttf := glyphlessFont()
	return pdftest.Build([]pdftest.Object{
		{Num: 1, Body: "<< /Type /Catalog /Pages 2 0 R >>"},
		{Num: 2, Body: "<< /Type /Pages /Kids [8 0 R] /Count 1 >>"},
		{Num: 3, Body: font},
		{Num: 4, Body: "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /GlyphLessFont /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 5 0 R /DW 1000 /CIDToGIDMap /Identity >>"},
		{Num: 5, Body: "<< /Type /FontDescriptor /FontName /GlyphLessFont /Flags 5 /FontBBox [0 -120 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 80 /FontFile2 6 0 R >>"},
		{Num: 6, Body: pdftest.Stream(fmt.Sprintf("/Length1 %d", len(ttf)), string(ttf))},
		{Num: 7, Body: pdftest.Stream("", "/CIDInit /ProcSet findresource begin 12 dict begin begincmap 1 begincodespacerange <0000> <FFFF> endcodespacerange 1 beginbfchar <0001> <0041> endbfchar endcmap end end")},
		{Num: 8, Body: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 10 0 R >> /Font << /F0 3 0 R >> >> /Contents 9 0 R" + pageExtra + " >>"},
		{Num: 9, Body: pdftest.FlateStream("", []byte(content))},
		{Num: 10, Body: pdftest.Stream("/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", white.String())},
	}, "/Root 1 0 R")
}

// TestVerifierRefusesBeyondTheTextLayer: the verifier's flattened-page
// check accepts the text layer in its exact shape, and refuses a page
// that shows text, draws anything else, or uses another font.
func TestVerifierRefusesBeyondTheTextLayer(t *testing.T) {
	const draw = "q 595 0 0 842 0 0 cm /Im0 Do Q\n"
	const glyphless = "<< /Type /Font /Subtype /Type0 /BaseFont /GlyphLessFont /Encoding /Identity-H /DescendantFonts [4 0 R] /ToUnicode 7 0 R >>"
	const text = "BT\n3 Tr\n/F0 12 Tf 1 0 0 1 50 700 Tm 50 Tz [<0001> -20 <0001>] TJ 0 -14 Td <0001> Tj\nET\n"
	for _, tc := range []struct {
		name, content, font, page string
		ok                        bool
	}{
		{"TheLayer", draw + text, glyphless, "", true},
		{"ImageOnly", draw, glyphless, "", true},
		{"VisibleText", draw + strings.Replace(text, "3 Tr", "0 Tr", 1), glyphless, "", false},
		{"NoRenderMode", draw + strings.Replace(text, "3 Tr", "", 1), glyphless, "", false},
		{"ClippingText", draw + strings.Replace(text, "3 Tr", "7 Tr", 1), glyphless, "", false},
		{"LiteralString", draw + "BT 3 Tr /F0 12 Tf (secret) Tj ET\n", glyphless, "", false},
		{"QuoteOperator", draw + "BT 3 Tr /F0 12 Tf <0001> ' ET\n", glyphless, "", false},
		{"PathOverImage", draw + "0 0 m 595 842 l S\n", glyphless, "", false},
		{"ColourInText", draw + "BT 3 Tr 1 0 0 rg /F0 12 Tf <0001> Tj ET\n", glyphless, "", false},
		{"MarkedContent", draw + "/Span << /ActualText (x) >> BDC BT 3 Tr /F0 12 Tf <0001> Tj ET EMC\n", glyphless, "", false},
		{"InlineImage", draw + "BI /W 1 /H 1 /CS /G /BPC 8 ID \xff EI\n", glyphless, "", false},
		{"SecondDraw", draw + draw, glyphless, "", false},
		{"TextBeforeImage", text + draw, glyphless, "", false},
		{"UnclosedText", draw + "BT 3 Tr /F0 12 Tf <0001> Tj\n", glyphless, "", false},
		{"UnknownFont", draw + strings.Replace(text, "/F0", "/F9", 1), glyphless, "", false},
		{"VisibleFont", draw + text, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", "", false},
		{"FontWithoutProgram", draw + text, "<< /Type /Font /Subtype /Type0 /BaseFont /GlyphLessFont /Encoding /Identity-H /DescendantFonts [5 0 R] /ToUnicode 7 0 R >>", "", false},
		{"Annotation", draw, glyphless, " /Annots [<< /Type /Annot /Subtype /Square /Rect [0 0 9 9] >>]", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pdf := flatWithContent(tc.content, tc.font, tc.page)
			_, err := verify.PDFOptions{Flattened: true}.Check(context.Background(), bytes.NewReader(pdf), int64(len(pdf)))
			switch {
			case tc.ok && err != nil:
				t.Errorf("refused: %v", err)
			case !tc.ok && err == nil:
				t.Error("accepted")
			case !tc.ok && !strings.Contains(err.Error(), "not a flattened page"):
				t.Logf("refused otherwise: %v", err)
			}
		})
	}
}

// FuzzTextLayer: whatever characters and boxes a page's text has, the
// layer written for them passes the verifier's flattened-page check.
func FuzzTextLayer(f *testing.F) {
	f.Add("住民票 abc\u202e", 50.0, 700.0, 12.0, false)
	f.Add("縦書き", 500.0, 800.0, 10.0, true)
	f.Add("\x00\uFFFF𠮷", -1e9, 1e9, 0.0, false)
	f.Fuzz(func(t *testing.T, s string, x, y, size float64, vertical bool) {
		var chars []Char
		for i, r := range s {
			d := float64(i) * size
			c := Char{R: r, X0: x + d, Y0: y, X1: x + d + size, Y1: y + size, Vertical: vertical}
			if vertical {
				c = Char{R: r, X0: x, Y0: y - d - size, X1: x + size, Y1: y - d, Vertical: true}
			}
			chars = append(chars, c)
		}
		pdf := layerPDF(t, chars)
		if _, err := (verify.PDFOptions{Flattened: true}).Check(context.Background(), bytes.NewReader(pdf), int64(len(pdf))); err != nil {
			t.Fatalf("refused %q at %v,%v size %v: %v", s, x, y, size, err)
		}
	})
}

// TestTextLayerVerticalGap: in a vertical line, a character set below a
// gap is placed below it, at its box (a TJ number moves the next glyph
// down in vertical writing), not pulled up over the one before.
func TestTextLayerVerticalGap(t *testing.T) {
	chars := []Char{
		{R: '拝', X0: 494, Y0: 788, X1: 506, Y1: 800, Vertical: true},
		{R: '啓', X0: 494, Y0: 748, X1: 506, Y1: 760, Vertical: true}, // 28 points below 拝
		{R: '時', X0: 494, Y0: 736, X1: 506, Y1: 748, Vertical: true},
	}
	out := runPdftotext(t, layerPDF(t, chars), "-bbox")
	tops := map[string]float64{}
	for _, m := range wordBox.FindAllSubmatch(out, -1) {
		y, err := strconv.ParseFloat(string(m[1]), 64)
		if err != nil {
			t.Fatal(err)
		}
		tops[string(m[2])] = y
	}
	first, ok1 := tops["拝"]
	second, ok2 := tops["啓時"]
	if !ok1 || !ok2 {
		t.Fatalf("pdftotext found the words %v, want 拝 and 啓時:\n%s", tops, out)
	}
	// pdftotext's y grows downwards: 啓 stands 40 points under 拝's top.
	if d := second - first; math.Abs(d-40) > 0.5 {
		t.Errorf("啓 is %.1f points under 拝, want 40", d)
	}
}

// TestTextLayerColumnsReadInOrder: columns that start at one height,
// written right to left (the reading order of 縦書き, as OCR gives it),
// are read in that order by PDFium (Chromium's viewer), each column a
// line, and by pdftotext.
func TestTextLayerColumnsReadInOrder(t *testing.T) {
	p := testPool(t)
	cols := []string{"令和八年度住民税の納税通知書", "納期限までに納付してください。", "ご不明な点は市民課まで", "お問い合わせください。"}
	pdf := layerPDF(t, layoutLines(cols, 12, true))
	if got, want := pdfiumText(t, p, pdf), strings.Join(cols, "\r\n")+"\f"; got != want {
		t.Errorf("PDFium reads %q, want %q", got, want)
	}
	if got := strings.Fields(pdftotext(t, pdf)); !slices.Equal(got, cols) {
		t.Errorf("pdftotext reads %q, want %q", got, cols)
	}
}

var wordBox = regexp.MustCompile(`<word xMin="[0-9.]+" yMin="([0-9.]+)" xMax="[0-9.]+" yMax="[0-9.]+">([^<]*)</word>`)

// pdftoppm renders the first page of pdf with poppler's pdftoppm, in gray
// at 100 dpi, and returns the PGM file it prints.
func pdftoppm(t *testing.T, pdf []byte) []byte {
	t.Helper()
	return runPoppler(t, "pdftoppm", pdf, []string{"-r", "100", "-gray", "-singlefile"})
}

// TestLeaningLayerDrawsNothing: the text layer of vertical columns and of
// lines turned a quarter, which lean so that PDFium reads them, draws
// nothing: poppler (pdftoppm) and PDFium render the flattened page with
// its layer to the same pixels as without.
func TestLeaningLayerDrawsNothing(t *testing.T) {
	p := testPool(t)
	for _, tc := range []struct {
		name string
		pdf  []byte
	}{
		{"VerticalJapanese", verticalJapanesePDF(t)},
		{"Rotated", rotatedPDF(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			layered, st := flatten(t, p, tc.pdf, Limits{Text: TextLayer{Mode: "extract"}})
			if txt := pdfiumText(t, p, layered); st.Text.Extracted != 1 || strings.TrimSpace(txt) == "" {
				t.Fatalf("text stats %+v, PDFium reads %q: the page has no text layer that PDFium reads", st.Text, txt)
			}
			bare, _ := flatten(t, p, tc.pdf, Limits{})
			if !bytes.Equal(pdftoppm(t, layered), pdftoppm(t, bare)) {
				t.Error("pdftoppm draws the page with its text layer differently from the page without")
			}
			var pix [][]byte
			for _, doc := range [][]byte{layered, bare} {
				err := p.PageImages(t.Context(), bytes.NewReader(doc), int64(len(doc)), Limits{}, func(pg Page) error {
					pix = append(pix, bytes.Clone(pg.Image.Pix))
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			if len(pix) != 2 || !bytes.Equal(pix[0], pix[1]) {
				t.Error("PDFium draws the page with its text layer differently from the page without")
			}
		})
	}
}
