package pdftest

import (
	"fmt"
	"strings"
)

// MissingFontText is the line of the MissingFont fixture.
const MissingFontText = "Прием документов Ωμέγα"

// MissingFont returns a clean one-page PDF that shows MissingFontText in
// a TrueType font it does not embed, encoded Identity-H (ISO 32000-1
// §9.7.5.2: the codes are glyph numbers of the missing font) with a
// ToUnicode map (§9.10.3) that says what they mean. MuPDF and poppler draw
// the line from that map with a fallback font; PDFium draws nothing, so
// the text is lost unless mugai notices.
func MissingFont() Fixture {
	var hex strings.Builder
	for _, r := range MissingFontText {
		fmt.Fprintf(&hex, "%04X", r)
	}
	show := "<" + hex.String() + "> Tj"
	toUnicode := "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Identity-UCS def " +
		"1 begincodespacerange <0000> <FFFF> endcodespacerange 1 beginbfrange <0000> <FFFF> <0000> endbfrange " +
		"endcmap CMapName currentdict /CMap defineresource pop end end"
	objs := []Object{
		{1, "<< /Type /Catalog /Pages 2 0 R >>"},
		{2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		{3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"},
		{4, Stream("", "BT\n/F1 30 Tf\n60 700 Td\n"+show+"\nET\n")},
		{5, "<< /Type /Font /Subtype /Type0 /BaseFont /TimesNewRomanCyr /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 8 0 R >>"},
		{6, "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /TimesNewRomanCyr /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 7 0 R /DW 600 >>"},
		{7, "<< /Type /FontDescriptor /FontName /TimesNewRomanCyr /Flags 32 /FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 900 /Descent -200 /CapHeight 700 /StemV 80 >>"},
		{8, Stream("", toUnicode)},
	}
	return Fixture{Name: "CleanMissingFont", Bytes: Build(objs, "/Root 1 0 R"), Pages: 1,
		Removed: map[string]int{}, Text: [][]string{{show}}}
}
