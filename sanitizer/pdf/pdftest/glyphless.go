package pdftest

import "strings"

// GlyphlessText is the line of the Glyphless fixture.
const GlyphlessText = "ABCDEF"

// Glyphless returns a clean one-page PDF whose line GlyphlessText is set
// in a Type3 font (ISO 32000-1 §9.6.5) whose glyph procedures declare a
// glyph box (d1) but paint nothing. Text extraction reads the line; the
// page shows nothing where it stands: what a page looks like when its
// font has no glyphs for its codes and no fallback font can stand in.
func Glyphless() Fixture {
	names := strings.Split(GlyphlessText, "")
	var procs strings.Builder
	for i, n := range names {
		if i > 0 {
			procs.WriteString(" ")
		}
		procs.WriteString("/" + n + " 6 0 R")
	}
	content := "BT\n/F1 36 Tf\n72 700 Td\n(" + GlyphlessText + ") Tj\nET\n"
	objs := []Object{
		{1, "<< /Type /Catalog /Pages 2 0 R >>"},
		{2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		{3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"},
		{4, Stream("", content)},
		{5, "<< /Type /Font /Subtype /Type3 /FontBBox [0 0 600 700] /FontMatrix [0.001 0 0 0.001 0 0] " +
			"/CharProcs << " + procs.String() + " >> /Encoding << /Type /Encoding /Differences [65 /" + strings.Join(names, " /") + "] >> " +
			"/FirstChar 65 /LastChar 70 /Widths [600 600 600 600 600 600] /Resources << >> >>"},
		{6, Stream("", "600 0 0 0 550 700 d1\n")},
	}
	return Fixture{Name: "CleanGlyphlessFont", Bytes: Build(objs, "/Root 1 0 R"), Pages: 1,
		Removed: map[string]int{}, Text: [][]string{{"(" + GlyphlessText + ") Tj"}}}
}
