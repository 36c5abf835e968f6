package render

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"
)

// pdfBuilder writes small PDFs by hand for the tests (ISO 32000-1 §7.5).
type pdfBuilder struct{ objs [][]byte }

func (b *pdfBuilder) reserve() int { b.objs = append(b.objs, nil); return len(b.objs) }

func (b *pdfBuilder) set(n int, body string) { b.objs[n-1] = []byte(body) }

func (b *pdfBuilder) add(body string) int { n := b.reserve(); b.set(n, body); return n }

func (b *pdfBuilder) addStream(dict string, data []byte, deflate bool) int {
	if deflate {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		data = z.Bytes()
		dict += " /Filter /FlateDecode"
	}
	n := b.reserve()
	b.objs[n-1] = fmt.Appendf(nil, "<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
	return n
}

func (b *pdfBuilder) bytes(root int, trailerExtra string) []byte {
	var out bytes.Buffer
	out.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(b.objs))
	for i, o := range b.objs {
		offs[i] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f\r\n", len(b.objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&out, "%010d 00000 n\r\n", o)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n", len(b.objs)+1, root, trailerExtra, xref)
	return out.Bytes()
}

// pagesPDF builds a document whose page i has contents[i] and the given
// resources and MediaBox.
func pagesPDF(b *pdfBuilder, mediaBox, resources string, contents []int) []byte {
	catalog := b.reserve()
	pages := b.reserve()
	kids := make([]string, len(contents))
	for i, c := range contents {
		kids[i] = fmt.Sprintf("%d 0 R", b.add(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox %s /Resources %s /Contents %d 0 R >>", pages, mediaBox, resources, c)))
	}
	b.set(pages, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(contents)))
	b.set(catalog, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pages))
	return b.bytes(catalog, "")
}

const lorem = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua."

// textPDF is an A4 text document in Helvetica (a standard font, not
// embedded), about fifty lines a page, content streams deflated.
func textPDF(t testing.TB, pages int) []byte {
	t.Helper()
	return textPDFBox(t, pages, "[0 0 595.28 841.89]")
}

func textPDFBox(t testing.TB, pages int, mediaBox string) []byte {
	t.Helper()
	return latinPDF(t, pages, mediaBox, "0 0 1 rg 56 40 483 2 re f\n")
}

// latinPDF is pages of Helvetica text, 56 lines each, with tail appended
// to each page's content after the text.
func latinPDF(t testing.TB, pages int, mediaBox, tail string) []byte {
	t.Helper()
	var b pdfBuilder
	font := b.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	var contents []int
	for p := range pages {
		var c strings.Builder
		c.WriteString("BT /F1 10 Tf 13 TL 56 790 Td\n")
		for l := range 56 {
			fmt.Fprintf(&c, "(%d.%d %s) '\n", p+1, l+1, lorem[:60+(l*7)%60])
		}
		c.WriteString("ET\n" + tail)
		contents = append(contents, b.addStream("", []byte(c.String()), true))
	}
	return pagesPDF(&b, mediaBox, fmt.Sprintf("<< /Font << /F1 %d 0 R >> >>", font), contents)
}

// jpFont adds a Type0 font whose CIDFontType0 descendant name (Adobe-Japan1,
// flags as in its descriptor) is not embedded, and returns the Type0 font.
func jpFont(b *pdfBuilder, name string, flags int, encoding string) int {
	return cidFont(b, name, "Japan1", flags, encoding)
}

// cidFont adds a Type0 font whose CIDFontType0 descendant name of the
// character collection Adobe-ordering is not embedded, and returns the
// Type0 font.
func cidFont(b *pdfBuilder, name, ordering string, flags int, encoding string) int {
	fd := b.add(fmt.Sprintf("<< /Type /FontDescriptor /FontName /%s /Flags %d /FontBBox [0 -141 1000 859] /ItalicAngle 0 /Ascent 859 /Descent -141 /CapHeight 769 /StemV 80 >>", name, flags))
	cid := b.add(fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType0 /BaseFont /%s /CIDSystemInfo << /Registry (Adobe) /Ordering (%s) /Supplement 2 >> /FontDescriptor %d 0 R /DW 1000 >>", name, ordering, fd))
	return b.add(fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /%s /DescendantFonts [%d 0 R] >>", name, encoding, cid))
}

// showUCS2 writes rs as one UTF-16BE hex string shown on the next line (').
func showUCS2(c *strings.Builder, rs []rune) {
	c.WriteString("<")
	for _, r := range rs {
		fmt.Fprintf(c, "%04X", r)
	}
	c.WriteString("> '\n")
}

// japaneseText is drawn by japanesePDF at 40 pt from (72, 700).
const japaneseText = "日本語の文書です無害化"

// japanesePDF draws japaneseText in a Type0 font whose CIDFontType0
// descendant (MS-Gothic) is not embedded: PDFium must find a fallback CJK
// font. encoding is "90ms-RKSJ-H" (Shift_JIS bytes) or "UniJIS-UCS2-H"
// (UTF-16BE).
func japanesePDF(t testing.TB, encoding string) []byte {
	t.Helper()
	var text []byte
	switch encoding {
	case "90ms-RKSJ-H":
		s, err := japanese.ShiftJIS.NewEncoder().String(japaneseText)
		if err != nil {
			t.Fatal(err)
		}
		text = []byte(s)
	case "UniJIS-UCS2-H":
		for _, r := range japaneseText {
			text = append(text, byte(r>>8), byte(r))
		}
	default:
		t.Fatalf("unknown encoding %q", encoding)
	}
	var hex strings.Builder
	for _, c := range text {
		fmt.Fprintf(&hex, "%02X", c)
	}
	var b pdfBuilder
	font := jpFont(&b, "MS-Gothic", 4, encoding)
	content := b.addStream("", fmt.Appendf(nil, "BT /F1 40 Tf 72 700 Td <%s> Tj ET\n", hex.String()), false)
	return pagesPDF(&b, "[0 0 595 842]", fmt.Sprintf("<< /Font << /F1 %d 0 R >> >>", font), []int{content})
}

// manyPagesPDF has n pages that share one content stream.
func manyPagesPDF(t testing.TB, n int) []byte {
	t.Helper()
	var b pdfBuilder
	c := b.addStream("", []byte("0 0 m 100 100 l S"), false)
	contents := make([]int, n)
	for i := range contents {
		contents[i] = c
	}
	return pagesPDF(&b, "[0 0 612 792]", "<< >>", contents)
}

// bigPagePDF has one page of w × h points.
func bigPagePDF(t testing.TB, w, h int) []byte {
	t.Helper()
	var b pdfBuilder
	c := b.addStream("", []byte("0 0 m 100 100 l S"), false)
	return pagesPDF(&b, fmt.Sprintf("[0 0 %d %d]", w, h), "<< >>", []int{c})
}

// heavyPDF has pages that each fill rects tiny rectangles: slow to render.
func heavyPDF(t testing.TB, pages, rects int) []byte {
	t.Helper()
	var c strings.Builder
	for i := range rects {
		fmt.Fprintf(&c, "%d %d %d rg %d %d 3 3 re f\n", i%7, i%5, i%3, (i*7)%590, (i*13)%830)
	}
	var b pdfBuilder
	// PDFium parses a file's first object when it opens it (to see whether
	// the file is linearized): a small one keeps the content stream unread
	// until a page is rendered.
	b.add("<< >>")
	s := b.addStream("", []byte(c.String()), true)
	contents := make([]int, pages)
	for i := range contents {
		contents[i] = s
	}
	return pagesPDF(&b, "[0 0 595 842]", "<< >>", contents)
}

// photoPDF has one page filled by a noisy colour image.
func photoPDF(t testing.TB) []byte {
	t.Helper()
	const n = 256
	rng := rand.New(rand.NewPCG(1, 2))
	pix := make([]byte, 3*n*n)
	for y := range n {
		for x := range n {
			i := 3 * (y*n + x)
			pix[i] = byte(x + rng.IntN(40))
			pix[i+1] = byte(y + rng.IntN(40))
			pix[i+2] = byte((x+y)/2 + rng.IntN(40))
		}
	}
	var b pdfBuilder
	im := b.addStream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Interpolate true", n, n), pix, true)
	c := b.addStream("", []byte("q 400 0 0 400 100 300 cm /Im1 Do Q BT /F1 12 Tf 100 200 Td (Caption) Tj ET"), false)
	font := b.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	return pagesPDF(&b, "[0 0 595 842]", fmt.Sprintf("<< /XObject << /Im1 %d 0 R >> /Font << /F1 %d 0 R >> >>", im, font), []int{c})
}

// rotatedPDF is a landscape text page made by /Rotate 90 on a portrait
// MediaBox.
func rotatedPDF(t testing.TB) []byte {
	t.Helper()
	return textPDFBox(t, 1, "[0 0 595.28 841.89] /Rotate 90")
}

// japaneseProse is typical of a municipal notice.
const japaneseProse = "本市では、住民の皆様の個人情報を適切に取り扱うため、情報セキュリティ対策を強化しております。" +
	"令和七年度の住民税の申告期限は三月十五日です。申告書は市役所税務課の窓口または郵送で提出してください。" +
	"ご不明な点がございましたら、担当課までお問い合わせください。電子メールの添付ファイルは無害化処理を行った上でお届けします。"

// japaneseTextPDF is an A4 document of dense Japanese prose, 10.5 pt,
// in the non-embedded font of japanesePDF (UniJIS-UCS2-H).
func japaneseTextPDF(t testing.TB, pages int) []byte {
	t.Helper()
	var b pdfBuilder
	font := jpFont(&b, "MS-Mincho", 6, "UniJIS-UCS2-H")
	lines := japaneseTextLines(pages)
	var contents []int
	for p := range pages {
		var c strings.Builder
		c.WriteString("BT /F1 10.5 Tf 16 TL 66 780 Td\n")
		for _, l := range lines[p*46 : (p+1)*46] {
			showUCS2(&c, []rune(l))
		}
		c.WriteString("ET\n")
		contents = append(contents, b.addStream("", []byte(c.String()), true))
	}
	return pagesPDF(&b, "[0 0 595 842]", fmt.Sprintf("<< /Font << /F1 %d 0 R >> >>", font), contents)
}

// japaneseTextLines are the lines of japaneseTextPDF, 46 a page of 44
// characters each.
func japaneseTextLines(pages int) []string {
	prose := []rune(strings.Repeat(japaneseProse, 20))
	const perLine = 44
	lines := make([]string, 0, 46*pages)
	for i := range 46 * pages {
		start := (i * perLine) % (len(prose) - perLine)
		lines = append(lines, string(prose[start:start+perLine]))
	}
	return lines
}
