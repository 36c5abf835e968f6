package pdftest

import (
	"fmt"
	"strings"

	"golang.org/x/image/font/sfnt"
)

// EmbeddedFontText is the Japanese line of the EmbeddedFont fixture.
const EmbeddedFontText = "住民票の写し（無害化済み）"

// EmbeddedFont returns a clean one-page PDF that shows EmbeddedFontText in
// the TrueType font ttf, embedded whole as a CIDFontType2 with Identity-H
// encoding and identity CID-to-GID map (ISO 32000-1 §9.7.4, §9.7.5.2), the
// way office suites write Japanese documents. Text is the content
// stream's show-text operator with the glyph ids.
func EmbeddedFont(ttf []byte) (Fixture, error) {
	f, err := sfnt.Parse(ttf)
	if err != nil {
		return Fixture{}, err
	}
	var buf sfnt.Buffer
	var hex strings.Builder
	for _, r := range EmbeddedFontText {
		gid, err := f.GlyphIndex(&buf, r)
		if err != nil || gid == 0 {
			return Fixture{}, fmt.Errorf("font has no glyph for %q", r)
		}
		fmt.Fprintf(&hex, "%04X", uint16(gid))
	}
	show := "<" + hex.String() + "> Tj"
	content := "BT\n/F1 20 Tf\n60 760 Td\n" + show + "\nET\n"
	objs := []Object{
		{1, "<< /Type /Catalog /Pages 2 0 R >>"},
		{2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		{3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"},
		{4, FlateStream("", []byte(content))},
		{5, "<< /Type /Font /Subtype /Type0 /BaseFont /IPAGothic /Encoding /Identity-H /DescendantFonts [6 0 R] >>"},
		{6, "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /IPAGothic /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 7 0 R /DW 1000 /CIDToGIDMap /Identity >>"},
		{7, "<< /Type /FontDescriptor /FontName /IPAGothic /Flags 4 /FontBBox [-1 -141 1000 859] /ItalicAngle 0 /Ascent 859 /Descent -141 /CapHeight 700 /StemV 80 /FontFile2 8 0 R >>"},
		{8, FlateStream(fmt.Sprintf("/Length1 %d", len(ttf)), ttf)},
	}
	return Fixture{Name: "CleanEmbeddedJapaneseFont", Bytes: Build(objs, "/Root 1 0 R"), Pages: 1,
		Removed: map[string]int{}, Text: [][]string{{show}}}, nil
}
