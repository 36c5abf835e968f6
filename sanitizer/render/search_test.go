package render

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/klippa-app/go-pdfium/requests"

	"github.com/mugai-project/mugai/internal/textsim"
	"github.com/mugai-project/mugai/sanitizer/ocr/ocrtest"
	"github.com/mugai-project/mugai/sanitizer/verify"
)

// pdfiumText returns the text PDFium's text API gives for every page of
// pdf (FPDFText_GetText, what Chromium's PDF viewer copies and searches),
// the pages separated by a form feed.
func pdfiumText(t *testing.T, p *Pool, pdf []byte) string {
	t.Helper()
	in, doc, done := openTestDoc(t, p, pdf)
	defer done()
	n, err := in.pageCount(doc)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for i := range n {
		pg, err := in.FPDF_LoadPage(&requests.FPDF_LoadPage{Document: doc, Index: i})
		if err != nil {
			t.Fatal(err)
		}
		tp, err := in.FPDFText_LoadPage(&requests.FPDFText_LoadPage{Page: requests.Page{ByReference: &pg.Page}})
		if err != nil {
			t.Fatal(err)
		}
		cnt, err := in.FPDFText_CountChars(&requests.FPDFText_CountChars{TextPage: tp.TextPage})
		if err == nil && cnt.Count > 0 {
			txt, err := in.FPDFText_GetText(&requests.FPDFText_GetText{TextPage: tp.TextPage, Count: cnt.Count})
			if err != nil {
				t.Fatal(err)
			}
			out.WriteString(txt.Text)
		}
		out.WriteString("\f")
		in.FPDFText_ClosePage(&requests.FPDFText_ClosePage{TextPage: tp.TextPage})
		in.FPDF_ClosePage(&requests.FPDF_ClosePage{Page: pg.Page})
	}
	return out.String()
}

// searchSource is a document whose text is known line by line.
type searchSource struct {
	name     string
	pdf      []byte
	lines    []string
	ocr      bool // a scan: its text comes from OCR
	vertical bool // in columns (縦書き)
}

func searchSources(t *testing.T, withOCR bool) []searchSource {
	t.Helper()
	jaLines := japaneseTextLines(1)
	srcs := []searchSource{
		{name: "JapaneseProse", pdf: japaneseTextPDF(t, 1), lines: jaLines},
		{name: "VerticalJapanese", pdf: verticalJapanesePDF(t), lines: verticalJapaneseColumns, vertical: true},
	}
	spaced := proseLines(36, 20)
	srcs = append(srcs, searchSource{name: "JapaneseJustified", pdf: justifiedJapanesePDF(t, spaced), lines: spaced})
	mixed := []string{"令和7年度の第3条による届出について", "TEL 03-1234-5678 市民課 (平日9時から17時)"}
	srcs = append(srcs, searchSource{name: "JapaneseMixed", pdf: mixedJapanesePDF(t, mixed), lines: mixed})
	if withOCR {
		srcs = append(srcs,
			searchSource{name: "Scan", pdf: scanPDF(t), lines: ocrtest.Text, ocr: true},
			searchSource{name: "ScanProse", pdf: imagePDF(t, ocrtest.ScannedPage(t, proseLines(30, 12), 150, 12)), lines: proseLines(30, 12), ocr: true},
			searchSource{name: "VerticalScan", pdf: imagePDF(t, ocrtest.VerticalPage(t, ocrtest.VerticalText, 150, 12)), lines: ocrtest.VerticalText, ocr: true, vertical: true},
		)
	}
	return srcs
}

// japaneseLinesPDF sets lines, one after another, in the non-embedded
// Japanese font of japaneseTextPDF, after the text state ops (font size,
// character spacing, leading, where the first line starts).
func japaneseLinesPDF(t testing.TB, state string, lines []string) []byte {
	t.Helper()
	var b pdfBuilder
	font := jpFont(&b, "MS-Mincho", 6, "UniJIS-UCS2-H")
	var c strings.Builder
	c.WriteString("BT " + state + "\n")
	for _, l := range lines {
		showUCS2(&c, []rune(l))
	}
	c.WriteString("ET\n")
	content := b.addStream("", []byte(c.String()), true)
	return pagesPDF(&b, "[0 0 595 842]", fmt.Sprintf("<< /Font << /F1 %d 0 R >> >>", font), []int{content})
}

// justifiedJapanesePDF sets lines at 10.5 pt with 4 points between
// characters (Tc), as a word processor spreads a justified line.
func justifiedJapanesePDF(t testing.TB, lines []string) []byte {
	return japaneseLinesPDF(t, "/F1 10.5 Tf 4 Tc 16 TL 60 780 Td", lines)
}

// mixedJapanesePDF sets lines at 12 pt as a word processor does, kanji
// and kana in a Japanese font (UniJIS-UCS2-H, full width) and Latin
// letters, digits and spaces in Helvetica (proportional).
func mixedJapanesePDF(t testing.TB, lines []string) []byte {
	t.Helper()
	var b pdfBuilder
	font := jpFont(&b, "MS-Mincho", 6, "UniJIS-UCS2-H")
	latin := b.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	var c strings.Builder
	c.WriteString("BT 18 TL 60 780 Td\n")
	for _, l := range lines {
		c.WriteString("T*")
		for _, r := range l {
			switch {
			case r == '(' || r == ')' || r == '\\':
				fmt.Fprintf(&c, " /F2 12 Tf (\\%c) Tj", r)
			case r < 0x80:
				fmt.Fprintf(&c, " /F2 12 Tf (%c) Tj", r)
			default:
				fmt.Fprintf(&c, " /F1 12 Tf <%04X> Tj", r)
			}
		}
		c.WriteString("\n")
	}
	c.WriteString("ET\n")
	content := b.addStream("", []byte(c.String()), true)
	return pagesPDF(&b, "[0 0 595 842]", fmt.Sprintf("<< /Font << /F1 %d 0 R /F2 %d 0 R >> >>", font, latin), []int{content})
}

// proseLines cuts japaneseProse into n lines of per characters.
func proseLines(per, n int) []string {
	prose := []rune(strings.Repeat(japaneseProse, 1+per*n/utf8.RuneCountInString(japaneseProse)))
	lines := make([]string, n)
	for i := range lines {
		lines[i] = string(prose[i*per : (i+1)*per])
	}
	return lines
}

// TestMeasureTextLayerSearch prints, for Japanese documents with their
// own text and for scans read by OCR, what a person who searches the
// flattened PDF meets with pdftotext, pdftotext -raw and PDFium (a
// browser's viewer): spaces between Japanese characters and line breaks
// that the source lacks, and the phrases not found verbatim; beside it,
// the same for the original where it has text. Set MUGAI_MEASURE_SEARCH.
func TestMeasureTextLayerSearch(t *testing.T) {
	if os.Getenv("MUGAI_MEASURE_SEARCH") == "" {
		t.Skip("MUGAI_MEASURE_SEARCH not set")
	}
	p := testPool(t)
	eng := needOCR(t)
	for _, src := range searchSources(t, true) {
		var out bytes.Buffer
		if _, err := p.Flatten(context.Background(), bytes.NewReader(src.pdf), int64(len(src.pdf)), &out, Limits{Text: TextLayer{Mode: "auto", OCR: eng}}); err != nil {
			t.Fatal(err)
		}
		docs := []struct {
			name string
			pdf  []byte
		}{{"flat", out.Bytes()}}
		if !src.ocr {
			docs = append(docs, struct {
				name string
				pdf  []byte
			}{"original", src.pdf})
		}
		for _, d := range docs {
			for _, reader := range []struct {
				name string
				text string
			}{
				{"pdftotext", pdftotext(t, d.pdf)},
				{"pdftotext-raw", string(runPdftotext(t, d.pdf, "-raw"))},
				{"pdfium", pdfiumText(t, p, d.pdf)},
			} {
				s := textsim.Searchable(src.lines, reader.text)
				t.Logf("%-16s %-8s %-13s spaces %3d breaks %3d joined %2d phrases found %3d/%3d in order %.1f%%", src.name, d.name, reader.name,
					s.Spaces, s.Breaks, s.Joined, s.Phrases-len(s.Missing), s.Phrases, 100*textsim.InOrder(strings.Join(src.lines, "\n"), reader.text))
				if testing.Verbose() && (len(s.Missing) > 0 || s.Breaks > 0) {
					t.Logf("  text %q", reader.text[:min(len(reader.text), 300)])
				}
			}
		}
	}
}

// TestFlattenedTextIsSearchable: a person who searches a flattened
// Japanese document for a phrase of its text finds it, with pdftotext,
// pdftotext -raw and PDFium (a browser's viewer), whether the layer is
// the document's own text or OCR of a scan: the reader puts no space
// between two Japanese characters and breaks no line where the source
// has neither, keeps the space between Latin words, and every phrase of
// the source is found verbatim once the source's own line breaks are
// joined. Vertical text (縦書き) is read so by pdftotext; pdftotext -raw
// gives it a character a line (the original's as well); PDFium finds
// every column verbatim, reads a scan's columns in order (right to left),
// and reads a document with its own text as it reads the original:
// columns that start at one height from left to right (its text page
// orders such text objects by x), so that there a phrase across two
// columns is found by pdftotext alone, as in the original. The flattened
// document passes the flattened-PDF verifier.
func TestFlattenedTextIsSearchable(t *testing.T) {
	p := testPool(t)
	eng := needOCR(t)
	srcs := searchSources(t, true)
	srcs = append(srcs, searchSource{name: "ScanMixed", ocr: true,
		lines: []string{"お問い合わせは市民課まで", "Payment due by 31 January 2026", "電話番号 03-1234-5678"}})
	last := &srcs[len(srcs)-1]
	last.pdf = imagePDF(t, ocrtest.ScannedPage(t, last.lines, 150, 12))
	for _, src := range srcs {
		t.Run(src.name, func(t *testing.T) {
			var out bytes.Buffer
			st, err := p.Flatten(context.Background(), bytes.NewReader(src.pdf), int64(len(src.pdf)), &out, Limits{Text: TextLayer{Mode: "auto", OCR: eng}})
			if err != nil {
				t.Fatal(err)
			}
			if src.ocr && st.Text.OCR != 1 || !src.ocr && st.Text.Extracted != 1 {
				t.Fatalf("text stats %+v, want the page's text from its source", st.Text)
			}
			readers := []struct{ name, text string }{{"pdftotext", pdftotext(t, out.Bytes())}}
			if !src.vertical {
				readers = append(readers, struct{ name, text string }{"pdftotext -raw", string(runPdftotext(t, out.Bytes(), "-raw"))})
			}
			if !src.vertical || src.ocr {
				readers = append(readers, struct{ name, text string }{"PDFium", pdfiumText(t, p, out.Bytes())})
			}
			if src.vertical {
				columnsFoundByPDFium(t, p, src, out.Bytes())
			}
			for _, r := range readers {
				s := textsim.Searchable(src.lines, r.text)
				if s.Spaces > 0 || s.Breaks > 0 || s.Joined > 0 || len(s.Missing) > 0 {
					t.Errorf("%s: %d spaces between Japanese characters, %d line breaks and %d Latin words run together that the source lacks; %d of %d phrases not found (%q):\n%s",
						r.name, s.Spaces, s.Breaks, s.Joined, len(s.Missing), s.Phrases, s.Missing[:min(len(s.Missing), 3)], r.text)
				}
			}
		})
	}
}

// columnsFoundByPDFium checks that PDFium (Chromium's viewer) finds every
// column of src in its flattened document flat, each verbatim, that it
// reads flat as it reads src where src has text of its own, and that flat
// passes the flattened-PDF verifier.
func columnsFoundByPDFium(t *testing.T, p *Pool, src searchSource, flat []byte) {
	t.Helper()
	if _, err := (verify.PDFOptions{Flattened: true}).Check(context.Background(), bytes.NewReader(flat), int64(len(flat))); err != nil {
		t.Errorf("the flattened-PDF verifier refuses the layer: %v", err)
	}
	got := pdfiumText(t, p, flat)
	for _, col := range src.lines {
		if !strings.Contains(got, col) {
			t.Errorf("PDFium: column %q not found in the flattened text %q", col, got)
		}
	}
	if !src.ocr {
		if orig := pdfiumText(t, p, src.pdf); got != orig {
			t.Errorf("PDFium reads the flattened document as %q, the original as %q", got, orig)
		}
	}
}

// ideographicSpacePDF sets lines at 12 pt in the non-embedded Japanese
// font of japaneseTextPDF, where each ideographic space (U+3000) is a
// character of the font, as a word processor writes one.
func ideographicSpacePDF(t testing.TB, lines []string) []byte {
	return japaneseLinesPDF(t, "/F1 12 Tf 18 TL 66 780 Td", lines)
}

// TestIdeographicSpaceIsSearchable: a clerk who searches a flattened
// document for an address written with an ideographic space (U+3000)
// between its parts, or a paragraph indented by one, finds it with PDFium
// (a browser's viewer), as in the original: the layer keeps the character
// itself, not an ASCII space. poppler's pdftotext reads U+3000 as a word
// break, in the original as well; there the flattened document reads as
// the original does. The flattened document still passes the flattened-
// PDF verifier; a page of ideographic spaces alone counts as one without
// text (so that OCR reads it in the "auto" mode).
func TestIdeographicSpaceIsSearchable(t *testing.T) {
	p := testPool(t)
	lines := []string{"住所　東京都　千代田区", "　本日は晴天なり。"}
	src := ideographicSpacePDF(t, lines)
	var out bytes.Buffer
	st, err := p.Flatten(context.Background(), bytes.NewReader(src), int64(len(src)), &out, Limits{Text: TextLayer{Mode: "extract"}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Text.Extracted != 1 {
		t.Fatalf("text stats %+v, want the page's own text", st.Text)
	}
	if _, err := (verify.PDFOptions{Flattened: true}).Check(context.Background(), bytes.NewReader(out.Bytes()), int64(out.Len())); err != nil {
		t.Fatalf("the flattened-PDF verifier refuses the layer: %v", err)
	}
	if orig := pdfiumText(t, p, src); !strings.Contains(orig, "東京都　千代田区") {
		t.Fatalf("PDFium reads the original as %q: the source lacks the ideographic space", orig)
	}
	flat := pdfiumText(t, p, out.Bytes())
	for _, phrase := range []string{"住所　東京都　千代田区", "　本日は晴天なり。"} {
		if !strings.Contains(flat, phrase) {
			t.Errorf("PDFium: %q not found in the flattened text %q", phrase, flat)
		}
	}
	for _, args := range [][]string{nil, {"-raw"}} {
		o, f := strings.Fields(string(runPdftotext(t, src, args...))), strings.Fields(string(runPdftotext(t, out.Bytes(), args...)))
		if !slices.Equal(o, f) {
			t.Errorf("pdftotext %v reads the flattened document as %q, the original as %q", args, f, o)
		}
	}
	blank := ideographicSpacePDF(t, []string{"　　　　"})
	st, err = p.Flatten(context.Background(), bytes.NewReader(blank), int64(len(blank)), io.Discard, Limits{Text: TextLayer{Mode: "auto"}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Text.Extracted != 0 || st.Text.Skipped != 1 {
		t.Errorf("a page of ideographic spaces alone: text stats %+v, want it counted as a page without text", st.Text)
	}
}
