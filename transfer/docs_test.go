package transfer

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// zipOf builds a zip from name, content pairs in order.
func zipOf(t *testing.T, files ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i < len(files); i += 2 {
		w, err := zw.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[i+1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const relsRoot = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="%s"/></Relationships>`

// hostileDocm is a macro-enabled Word document: its main part is the
// macroEnabled type and it carries word/vbaProject.bin (an AutoOpen
// macro's container) related from the document.
func hostileDocm(t *testing.T, text string) []byte {
	t.Helper()
	return zipOf(t,
		"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>`,
		"_rels/.rels", fmt.Sprintf(relsRoot, "word/document.xml"),
		"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>`+text+`</w:t></w:r></w:p></w:body></w:document>`,
		"word/_rels/document.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId9" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>`,
		"word/vbaProject.bin", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1Attribute VB_Name = \"ThisDocument\"\nSub AutoOpen()\nShell \"calc.exe\"\nEnd Sub\n",
	)
}

// budgetXlsx is an ordinary workbook whose one cell says text.
func budgetXlsx(t *testing.T, text string) []byte {
	t.Helper()
	return zipOf(t,
		"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`,
		"_rels/.rels", fmt.Sprintf(relsRoot, "xl/workbook.xml"),
		"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="予算" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>1200000</v></c></row></sheetData></worksheet>`,
		"xl/sharedStrings.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>`+text+`</t></si></sst>`,
	)
}

// jsPDF is a one-page PDF that runs JavaScript when opened
// (/OpenAction with /S /JavaScript, ISO 32000-1 section 12.6.4.16),
// written by hand with a correct cross-reference table.
func jsPDF(text string) []byte {
	return onePagePDF("BT /F1 24 Tf 72 720 Td ("+text+") Tj ET", " /OpenAction 5 0 R", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
}

// sealedLetterPDF is a page of dense Japanese text (Mincho, not
// embedded) with a red seal (印影): a page mugai stores in layers, the
// text as a black and white mask over a colour image of the seal.
func sealedLetterPDF() []byte {
	prose := []rune(strings.Repeat("本市では、住民の皆様の個人情報を適切に取り扱うため、情報セキュリティ対策を強化しております。", 60))
	var c strings.Builder
	c.WriteString("BT /F1 10.5 Tf 15.75 TL 66 740 Td\n")
	for l := range 42 {
		c.WriteString("<")
		for _, r := range prose[l*43 : l*43+43] {
			fmt.Fprintf(&c, "%04X", r)
		}
		c.WriteString("> '\n")
	}
	c.WriteString("ET\nq 0.85 0.1 0.1 rg 450 40 m 530 40 l 530 120 l 450 120 l h 456 46 m 456 114 l 524 114 l 524 46 l h f* Q\n")
	c.WriteString("q 0.85 0.1 0.1 rg BT /F1 40 Tf 470 62 Td <5370> Tj ET Q\n")
	return onePagePDF(c.String(), "",
		"<< /Type /Font /Subtype /Type0 /BaseFont /MS-Mincho /Encoding /UniJIS-UCS2-H /DescendantFonts [7 0 R] >>",
		"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /MS-Mincho /CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >> /FontDescriptor 8 0 R /DW 1000 >>",
		"<< /Type /FontDescriptor /FontName /MS-Mincho /Flags 6 /FontBBox [0 -141 1000 859] /ItalicAngle 0 /Ascent 859 /Descent -141 /CapHeight 769 /StemV 80 >>")
}

// onePagePDF is a one-page PDF (Letter) of content, with catalogExtra in
// its catalog, a JavaScript action as object 5, and fonts from object 6
// on, the first of them /F1.
func onePagePDF(content, catalogExtra string, fonts ...string) []byte {
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R" + catalogExtra + " >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 6 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Action /S /JavaScript /JS (app.alert\\('pwned'\\); this.exportDataObject\\({cName: 'x', nLaunch: 2}\\);) >>",
	}
	objs = append(objs, fonts...)
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}
