package render

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klippa-app/go-pdfium/requests"

	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
)

// scriptSample is a line of one CJK script set in a font that the PDF
// names but does not embed, as office suites in China, Taiwan, Korea and
// Japan write them.
type scriptSample struct {
	lang, font, ordering, cmap, text string
}

var scriptSamples = []scriptSample{
	{"ja", "MS-Mincho", "Japan1", "UniJIS-UCS2-H", "住民票の写しを交付します"},
	// The fonts of the Chinese document that lost all its text.
	{"zh-Hans", "SimFang", "GB1", "UniGB-UCS2-H", "这是简体中文测试关于进一步"},
	{"zh-Hant", "MingLiU", "CNS1", "UniCNS-UCS2-H", "這是繁體中文測試關於進一步"},
	{"ko", "Batang", "Korea1", "UniKS-UCS2-H", "한국어 문서입니다 주민등록"},
}

// scriptPDF draws s.text at 30 pt from (60, 700) on an A4 page (the ' operator moves down one 36 pt line from 736 first).
func scriptPDF(s scriptSample) []byte {
	var b pdfBuilder
	font := cidFont(&b, s.font, s.ordering, 6, s.cmap)
	var c strings.Builder
	c.WriteString("BT /F1 30 Tf 36 TL 60 736 Td\n")
	showUCS2(&c, []rune(s.text))
	c.WriteString("ET\n")
	content := b.addStream("", []byte(c.String()), false)
	return pagesPDF(&b, "[0 0 595 842]", fmt.Sprintf("<< /Font << /F1 %d 0 R >> >>", font), []int{content})
}

// inkIn counts the pixels darker than mid-gray in r.
func inkIn(img *image.RGBA, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.RGBAAt(x, y).R < 128 {
				n++
			}
		}
	}
	return n
}

// savePNG writes img to $MUGAI_RENDER_PNG_DIR/name.png when that is set,
// to look at.
func savePNG(name string, img image.Image) error {
	dir := os.Getenv("MUGAI_RENDER_PNG_DIR")
	if dir == "" {
		return nil
	}
	f, err := os.Create(filepath.Join(dir, name+".png"))
	if err != nil {
		return err
	}
	defer f.Close()
	return png.Encode(f, img)
}

// formPDF draws s.text as scriptPDF does, but in a form XObject whose
// matrix moves it 300 pt down and scales it by one half.
func formPDF(s scriptSample) []byte {
	var b pdfBuilder
	font := cidFont(&b, s.font, s.ordering, 6, s.cmap)
	var c strings.Builder
	c.WriteString("BT /F1 30 Tf 36 TL 60 736 Td\n")
	showUCS2(&c, []rune(s.text))
	c.WriteString("ET\n")
	form := b.addStream(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Matrix [0.5 0 0 0.5 0 -300] /Resources << /Font << /F1 %d 0 R >> >>", font),
		[]byte(c.String()), false)
	content := b.addStream("", []byte("q 1 0 0 1 0 300 cm /X1 Do Q"), false)
	return pagesPDF(&b, "[0 0 595 842]", fmt.Sprintf("<< /XObject << /X1 %d 0 R >> >>", form), []int{content})
}

// TestCJKNonEmbeddedFontsRender: Japanese, Simplified and Traditional
// Chinese and Korean text in fonts the PDF does not embed renders with
// the sandbox's fallback fonts: every glyph leaves ink in its place, and
// the lost-text check finds nothing.
func TestCJKNonEmbeddedFontsRender(t *testing.T) {
	p := testPool(t)
	for _, s := range scriptSamples {
		t.Run(s.lang, func(t *testing.T) {
			in := scriptPDF(s)
			scale := 150.0 / 72
			err := p.PageImages(t.Context(), bytes.NewReader(in), int64(len(in)), Limits{}, func(pg Page) error {
				if err := savePNG("script-"+s.lang, pg.Image); err != nil {
					return err
				}
				// One 30 pt cell per character on the baseline at y = 700 pt.
				for i, r := range []rune(s.text) {
					if r == ' ' {
						continue
					}
					x0 := 60 + 30*float64(i)
					cell := image.Rect(int(x0*scale), int((842-700-26)*scale), int((x0+30)*scale), int((842-700+4)*scale))
					if ink := inkIn(pg.Image, cell); ink < 40 {
						t.Errorf("%q (character %d): %d dark pixels in its cell", r, i, ink)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			st, err := p.Flatten(t.Context(), bytes.NewReader(in), int64(len(in)), io.Discard, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(st.LostText) != 0 {
				t.Errorf("lost text %+v", st.LostText)
			}
		})
	}
}

// TestLostTextFound: where the page's text left no ink, Flatten names the
// page, its font and how many characters are missing. A pool without
// fallback fonts loses Japanese in a non-embedded font; glyph numbers of a
// font that is not there and Cyrillic glyph names in a simple font that is
// not there are lost with any fonts.
func TestLostTextFound(t *testing.T) {
	bare, err := New(t.Context(), Options{FontDirs: []string{}, Instances: 1, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close()
	tests := []struct {
		name  string
		pool  *Pool
		in    []byte
		font  string
		chars int
	}{
		{"no fallback font", bare, scriptPDF(scriptSamples[0]), "MS-Mincho", len([]rune(scriptSamples[0].text))},
		{"no fallback font, in a moved form", bare, formPDF(scriptSamples[0]), "MS-Mincho", len([]rune(scriptSamples[0].text))},
		{"identity encoding without the font", testPool(t), pdftest.MissingFont().Bytes, "TimesNewRomanCyr", 20},
		{"cyrillic glyph names without the font", testPool(t), cyrillicPDF(), "ArialCyr", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := tt.pool.Flatten(t.Context(), bytes.NewReader(tt.in), int64(len(tt.in)), io.Discard, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(st.LostText) != 1 {
				t.Fatalf("lost text %+v, want page 1", st.LostText)
			}
			l := st.LostText[0]
			if l.Page != 1 || l.Chars != tt.chars || tt.font != "" && !slices.Contains(l.Fonts, tt.font) {
				t.Errorf("lost text %+v, want page 1, %d characters, font %q", l, tt.chars, tt.font)
			}
		})
	}
}

// helveticaPDF draws content (with font /F1, Helvetica) on an A4 page.
func helveticaPDF(content string) []byte {
	var b pdfBuilder
	font := b.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	c := b.addStream("", []byte(content), false)
	return pagesPDF(&b, "[0 0 595 842]", fmt.Sprintf("<< /Font << /F1 %d 0 R >> >>", font), []int{c})
}

// TestLostTextIgnoresTextMeantUnseen: text that renders, text that is
// drawn so as not to be seen (the invisible OCR layer of a scan, text in
// the colour of its background, clip-only text), and text in an embedded
// font without glyphs, which no viewer shows, is not lost text.
func TestLostTextIgnoresTextMeantUnseen(t *testing.T) {
	p := testPool(t)
	tests := map[string][]byte{
		"dense latin":       textPDF(t, 2),
		"rotated":           rotatedPDF(t),
		"japanese":          japanesePDF(t, "UniJIS-UCS2-H"),
		"in a moved form":   formPDF(scriptSamples[0]),
		"invisible ocr":     helveticaPDF("0.5 g 50 500 400 200 re f\nBT 3 Tr /F1 24 Tf 72 600 Td (scanned page text) Tj ET\nBT 3 Tr /F1 24 Tf 72 300 Td (text layer on white) Tj ET\n"),
		"white on white":    helveticaPDF("BT 1 g /F1 24 Tf 72 600 Td (hidden in plain sight) Tj ET\n"),
		"white on black":    helveticaPDF("0 g 50 550 500 100 re f\nBT 1 g /F1 24 Tf 72 600 Td (reversed heading) Tj ET\n"),
		"clip only":         helveticaPDF("BT 7 Tr /F1 48 Tf 72 600 Td (CLIP) Tj ET\n0 0 1 rg 0 0 595 842 re f\n"),
		"spaces only":       helveticaPDF("BT /F1 24 Tf 72 600 Td (      ) Tj ET\n"),
		"black text on red": helveticaPDF("1 0 0 rg 50 550 500 100 re f\nBT 0 g /F1 24 Tf 72 600 Td (warning) Tj ET\n"),
		// An embedded font without outlines: no viewer shows it either.
		"type3 without glyphs": pdftest.Glyphless().Bytes,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			st, err := p.Flatten(t.Context(), bytes.NewReader(in), int64(len(in)), io.Discard, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(st.LostText) != 0 {
				t.Errorf("lost text %+v", st.LostText)
			}
		})
	}
}

// cyrillicPDF draws five Cyrillic capitals in a simple TrueType font that
// the PDF does not embed, named by glyph names in its encoding's
// Differences. MuPDF and poppler draw them from a fallback font; PDFium,
// even with DejaVu Sans in its font folder (measured), draws nothing.
func cyrillicPDF() []byte {
	var b pdfBuilder
	fd := b.add("<< /Type /FontDescriptor /FontName /ArialCyr /Flags 32 /FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 900 /Descent -200 /CapHeight 700 /StemV 80 >>")
	font := b.add(fmt.Sprintf("<< /Type /Font /Subtype /TrueType /BaseFont /ArialCyr /FirstChar 192 /LastChar 196 /Widths [700 700 700 700 700] "+
		"/Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [192 /afii10017 /afii10018 /afii10019 /afii10020 /afii10021] >> /FontDescriptor %d 0 R >>", fd))
	content := b.addStream("", []byte("BT /F1 40 Tf 72 700 Td <C0C1C2C3C4> Tj ET\n"), false)
	return pagesPDF(&b, "[0 0 595 842]", fmt.Sprintf("<< /Font << /F1 %d 0 R >> >>", font), []int{content})
}

// TestUnembeddedText: the check loads a page's text only when some of it,
// on the page or in a form XObject, is set in a font the PDF does not
// embed.
func TestUnembeddedText(t *testing.T) {
	ttf, err := os.ReadFile("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf")
	if err != nil {
		t.Skipf("needs Debian fonts-ipafont-gothic: %v", err)
	}
	embedded, err := pdftest.EmbeddedFont(ttf)
	if err != nil {
		t.Fatal(err)
	}
	var b pdfBuilder
	font := b.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	form := b.addStream(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >>", font),
		[]byte("BT /F1 24 Tf 72 600 Td (in a form) Tj ET"), false)
	content := b.addStream("", []byte("/X1 Do"), false)
	inForm := pagesPDF(&b, "[0 0 595 842]", fmt.Sprintf("<< /XObject << /X1 %d 0 R >> >>", form), []int{content})

	p := testPool(t)
	for name, tt := range map[string]struct {
		in   []byte
		want bool
	}{
		"embedded":                {embedded.Bytes, false},
		"not embedded":            {scriptPDF(scriptSamples[0]), true},
		"not embedded, in a form": {inForm, true},
		"no text":                 {manyPagesPDF(t, 1), false},
	} {
		t.Run(name, func(t *testing.T) {
			inst, doc, done := openTestDoc(t, p, tt.in)
			defer done()
			page := requests.Page{ByIndex: &requests.PageByIndex{Document: doc, Index: 0}}
			if got := len(inst.unembeddedText(page)) > 0; got != tt.want {
				t.Errorf("unembeddedText = %v, want %v", got, tt.want)
			}
		})
	}
}
