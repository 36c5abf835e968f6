package office

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"sort"
	"strings"
	"testing"
)

func disarm(t testing.TB, in []byte, opts Options) ([]byte, Result) {
	t.Helper()
	var out bytes.Buffer
	res, err := Disarm(context.Background(), bytes.NewReader(in), int64(len(in)), &out, opts)
	if err != nil {
		t.Fatalf("Disarm: %v", err)
	}
	return out.Bytes(), res
}

// extractText returns the text of every w:t, a:t and spreadsheet t
// element, part by part in name order, one line per element.
func extractText(t testing.TB, b []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	files := append([]*zip.File(nil), zr.File...)
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f.Name, ".xml") || strings.HasPrefix(f.Name, "docProps/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		d := xml.NewDecoder(rc)
		in := 0
		var cur strings.Builder
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			switch x := tok.(type) {
			case xml.StartElement:
				if x.Name.Local == "t" {
					in++
					cur.Reset()
				}
			case xml.EndElement:
				if x.Name.Local == "t" && in > 0 {
					in--
					out = append(out, cur.String())
				}
			case xml.CharData:
				if in > 0 {
					cur.Write(x)
				}
			}
		}
		rc.Close()
	}
	return out
}

// forbiddenIn is the test's own walker, sharing nothing with Disarm or
// VerifyOOXML: it looks at raw names and raw bytes for any trace of
// active content.
func forbiddenIn(t testing.TB, b []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	markers := []string{"vbaproject", "vbadata", "macroenabled", "activex", "oleobject", "oleobj ", "<w:object",
		"targetmode=\"external\"", "attachedtemplate", "customui", "externallink", "ddelink", "ddeauto",
		"includetext", "customxml", "printersettings", "ppaction://program", "cmd|", "auto_open", "mailmerge",
		"203.0.113.9", "hidden-payload", "w:control", "embeddings/"}
	var found []string
	for _, f := range zr.File {
		lname := strings.ToLower(f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		low := strings.ToLower(lname + "\n" + string(body))
		for _, m := range markers {
			if strings.Contains(low, m) {
				found = append(found, f.Name+": "+m)
			}
		}
	}
	return found
}

func TestDisarmKeepsJapaneseText(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		kind string
		want []string
	}{
		{"docx", cleanDOCX(t), "docx", append(append([]string{}, jaParagraphs...), "ページ ", "1")},
		{"xlsx", cleanXLSX(t), "xlsx", jaCells},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, res := disarm(t, tc.in, Options{})
			if bytes.Equal(out, tc.in) {
				t.Fatal("output is the input's bytes")
			}
			if res.Kind != tc.kind || res.Converted {
				t.Errorf("kind %q converted %v, want %q false", res.Kind, res.Converted, tc.kind)
			}
			got, want := extractText(t, out), extractText(t, tc.in)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("text changed:\n got %q\nwant %q", got, want)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("text %q, want %q", got, tc.want)
			}
			if err := VerifyOOXML(context.Background(), bytes.NewReader(out), int64(len(out))); err != nil {
				t.Errorf("VerifyOOXML: %v", err)
			}
			if f := forbiddenIn(t, out); len(f) > 0 {
				t.Errorf("forbidden content: %v", f)
			}
			if !hasPart(t, out, "docProps/core.xml") {
				t.Error("the core properties were dropped")
			}
			if len(res.Removed) != 0 {
				t.Errorf("removed %v from a clean document", res.Removed)
			}
		})
	}
}

func TestDisarmPreservesPrefixes(t *testing.T) {
	out, _ := disarm(t, cleanDOCX(t), Options{})
	doc := partText(t, out, "word/document.xml")
	for _, want := range []string{`<w:document xmlns:wpc=`, `xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml"`,
		`mc:Ignorable="w14"`, `<w:t xml:space="preserve">お世話になっております。</w:t>`, `<a:blip r:embed="rIdImg"/>`, `<w:instrText xml:space="preserve"> PAGE </w:instrText>`} {
		if !strings.Contains(doc, want) {
			t.Errorf("document.xml lacks %q", want)
		}
	}
	if strings.Contains(doc, "_xmlns") || strings.Contains(doc, `xmlns="http://schemas.openxmlformats.org/wordprocessingml`) {
		t.Error("namespace prefixes were rewritten")
	}
}

// findPart returns the zip entry called name in b, or nil.
func findPart(t testing.TB, b []byte, name string) *zip.File {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func partText(t testing.TB, b []byte, name string) string {
	t.Helper()
	f := findPart(t, b, name)
	if f == nil {
		t.Fatalf("no part %s", name)
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatalf("part %s: %v", name, err)
	}
	defer rc.Close()
	body, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("part %s: %v", name, err)
	}
	return string(body)
}

func hasPart(t testing.TB, b []byte, name string) bool {
	t.Helper()
	return findPart(t, b, name) != nil
}

// TestDisarmMacroDocument covers the macro, template, DDE, OLE, link,
// customUI and custom XML attacks on Word in one document.
func TestDisarmMacroDocument(t *testing.T) {
	in := hostileDOCM(t)
	if len(forbiddenIn(t, in)) == 0 {
		t.Fatal("fixture has nothing to remove")
	}
	out, res := disarm(t, in, Options{})
	if res.Kind != "docx" || res.Ext != ".docx" || !res.Converted {
		t.Errorf("result %+v, want a converted docx", res)
	}
	if f := forbiddenIn(t, out); len(f) > 0 {
		t.Errorf("forbidden content left: %v", f)
	}
	if err := VerifyOOXML(context.Background(), bytes.NewReader(out), int64(len(out))); err != nil {
		t.Errorf("VerifyOOXML: %v", err)
	}
	text := strings.Join(extractText(t, out), "|")
	for _, want := range []string{"お世話になっております。", "表示される結果", "引用文", "詳しくはこちら", "令和7年度 予算書"} {
		if !strings.Contains(text, want) {
			t.Errorf("text %q lacks %q", text, want)
		}
	}
	if strings.Contains(text, "DDEAUTO") {
		t.Errorf("the instruction hidden in a nested field survived: %q", text)
	}
	for cat, n := range map[string]int{"macro": 1, "template": 1, "dde": 1, "field": 2, "hyperlink": 1, "ole": 1, "customui": 2, "custom-xml": 1, "mail-merge": 1} {
		if res.Removed[cat] < n {
			t.Errorf("removed[%s] = %d, want ≥ %d (all: %v)", cat, res.Removed[cat], n, res.Removed)
		}
	}
	if !hasPart(t, out, "word/media/image1.png") || !hasPart(t, out, "word/settings.xml") {
		t.Error("allowed parts were dropped")
	}
	ct := partText(t, out, "[Content_Types].xml")
	if !strings.Contains(ct, ctWordMain) || strings.Contains(strings.ToLower(ct), "macroenabled") {
		t.Errorf("content types not rewritten: %s", ct)
	}
}

func TestDisarmKeepHyperlinks(t *testing.T) {
	body := `<w:p><w:hyperlink r:id="rIdLink"><w:r><w:t>市のサイト</w:t></w:r></w:hyperlink></w:p><w:p><w:hyperlink r:id="rIdBad"><w:r><w:t>ファイル</w:t></w:r></w:hyperlink></w:p>`
	in := docxWith(t, ctWordMain, body, []relSpec{
		{"rIdLink", relHyper, "https://www.city.example.lg.jp/", "External"},
		{"rIdBad", relHyper, `file:///\\203.0.113.9\share\x.exe`, "External"},
	}, nil)
	out, res := disarm(t, in, Options{KeepHyperlinks: true})
	rels := partText(t, out, "word/_rels/document.xml.rels")
	if !strings.Contains(rels, "https://www.city.example.lg.jp/") || strings.Contains(rels, "203.0.113.9") {
		t.Errorf("links: %s", rels)
	}
	if res.Removed["hyperlink"] != 1 {
		t.Errorf("removed %v, want one hyperlink", res.Removed)
	}
	if err := VerifyOOXML(context.Background(), bytes.NewReader(out), int64(len(out))); err == nil {
		t.Error("strict VerifyOOXML accepted a kept external link")
	}
	if err := VerifyOOXMLLinks(context.Background(), bytes.NewReader(out), int64(len(out))); err != nil {
		t.Errorf("VerifyOOXMLLinks: %v", err)
	}
	out, _ = disarm(t, in, Options{})
	if doc := partText(t, out, "word/document.xml"); strings.Contains(doc, "r:id") || !strings.Contains(doc, "市のサイト") {
		t.Errorf("default policy: link kept or text lost: %s", doc)
	}
}

func TestDisarmMacroWorkbook(t *testing.T) {
	in := hostileXLSM(t)
	out, res := disarm(t, in, Options{})
	if res.Kind != "xlsx" || !res.Converted {
		t.Errorf("result %+v", res)
	}
	if f := forbiddenIn(t, out); len(f) > 0 {
		t.Errorf("forbidden content left: %v", f)
	}
	if err := VerifyOOXML(context.Background(), bytes.NewReader(out), int64(len(out))); err != nil {
		t.Errorf("VerifyOOXML: %v", err)
	}
	for cat, n := range map[string]int{"macro": 2, "external-link": 1, "dde": 1} {
		if res.Removed[cat] < n {
			t.Errorf("removed[%s] = %d, want ≥ %d (all: %v)", cat, res.Removed[cat], n, res.Removed)
		}
	}
	got := strings.Join(extractText(t, out), "\n")
	if got != strings.Join(jaCells, "\n") {
		t.Errorf("shared strings %q", got)
	}
	wb := partText(t, out, "xl/workbook.xml")
	if !strings.Contains(wb, "予算合計") || strings.Contains(wb, "externalReference") {
		t.Errorf("workbook.xml: %s", wb)
	}
	if sh := partText(t, out, "xl/worksheets/sheet1.xml"); !strings.Contains(sh, "<f>SUM(C3:C4)</f>") {
		t.Errorf("an ordinary formula was lost: %s", sh)
	}
}

func TestDisarmMacroPresentation(t *testing.T) {
	out, res := disarm(t, hostilePPTM(t), Options{})
	if res.Kind != "pptx" || !res.Converted {
		t.Errorf("result %+v", res)
	}
	if f := forbiddenIn(t, out); len(f) > 0 {
		t.Errorf("forbidden content left: %v", f)
	}
	if err := VerifyOOXML(context.Background(), bytes.NewReader(out), int64(len(out))); err != nil {
		t.Errorf("VerifyOOXML: %v", err)
	}
	if got := strings.Join(extractText(t, out), "|"); got != "令和7年度 予算書|お世話になっております。" {
		t.Errorf("slide text %q", got)
	}
	for cat, n := range map[string]int{"macro": 1, "ole": 1, "action": 1} {
		if res.Removed[cat] < n {
			t.Errorf("removed[%s] = %d, want ≥ %d (all: %v)", cat, res.Removed[cat], n, res.Removed)
		}
	}
}

// TestVerifyOOXMLRejectsHostile proves the verifier alone catches every
// hostile fixture when nothing was disarmed.
func TestVerifyOOXMLRejectsHostile(t *testing.T) {
	for name, in := range map[string][]byte{"docm": hostileDOCM(t), "xlsm": hostileXLSM(t), "pptm": hostilePPTM(t)} {
		t.Run(name, func(t *testing.T) {
			if err := VerifyOOXML(context.Background(), bytes.NewReader(in), int64(len(in))); err == nil {
				t.Error("VerifyOOXML accepted the hostile input")
			}
		})
	}
	// one attack at a time, on an otherwise clean output
	clean, _ := disarm(t, cleanDOCX(t), Options{})
	for _, tc := range []struct{ name, part, body string }{
		{"dde-field", "word/document.xml", docXML(`<w:p><w:r><w:instrText> DDEAUTO cmd "/c calc"</w:instrText></w:r></w:p>`)},
		{"fldsimple-include", "word/document.xml", docXML(`<w:p><w:fldSimple w:instr="INCLUDEPICTURE &quot;http://x/a.png&quot;"/></w:p>`)},
		{"ole-object", "word/document.xml", docXML(`<w:p><w:r><w:object/></w:r></w:p>`)},
		{"external-rel", "word/_rels/document.xml.rels", relsXML(relSpec{"rId1", relHyper, "http://x/", "External"})},
		{"template-rel", "word/_rels/document.xml.rels", relsXML(relSpec{"rId1", relTemplate, "x.dotm", ""})},
		{"macro-type", "[Content_Types].xml", typesXML(nil, [2]string{"/word/document.xml", ctWordMacro})},
		{"doctype", "word/styles.xml", `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x/>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := patchZip(t, clean, tc.part, tc.body)
			if err := VerifyOOXML(context.Background(), bytes.NewReader(b), int64(len(b))); err == nil {
				t.Error("VerifyOOXML accepted it")
			}
		})
	}
}

func TestFieldVerdict(t *testing.T) {
	for _, tc := range []struct {
		instr string
		keep  bool
		want  string
	}{
		{" PAGE \\* MERGEFORMAT ", false, ""},
		{"=SUM(ABOVE)", false, ""},
		{` DDEAUTO c:\\windows\\system32\\cmd.exe "/k calc"`, false, "dde"},
		{" dDe cmd /c", false, "dde"},
		{` INCLUDEPICTURE "http://203.0.113.9/x.png" \d`, false, "field"},
		{` INCLUDETEXT "\\\\host\\s\\x.docx"`, false, "field"},
		{` MACROBUTTON AutoOpen click`, false, "field"},
		{` HYPERLINK \l "_Toc1"`, false, ""},
		{` HYPERLINK "https://example.jp/"`, false, "hyperlink"},
		{` HYPERLINK "https://example.jp/"`, true, ""},
		{` HYPERLINK "file:///c:/windows/calc.exe"`, true, "hyperlink"},
		{"", false, "field"},
	} {
		t.Run(tc.instr, func(t *testing.T) {
			if got := fieldVerdict(tc.instr, Options{KeepHyperlinks: tc.keep}); got != tc.want {
				t.Errorf("fieldVerdict(%q) = %q, want %q", tc.instr, got, tc.want)
			}
		})
	}
}

func TestDDEFormula(t *testing.T) {
	for f, want := range map[string]bool{
		`cmd|' /C calc'!A0`: true,
		`=MSEXCEL|'\..\..\..\Windows\System32\cmd.exe /c calc'!''`: true,
		`SUM(A1:A3)`:   false,
		`"a|b"&A1`:     false,
		`'予算|2025'!A1`: false,
	} {
		if isDDEFormula(f) != want || vDDEFormula(f) != want {
			t.Errorf("%q: got %v/%v, want %v", f, isDDEFormula(f), vDDEFormula(f), want)
		}
	}
}

// TestZipHygiene: each hostile package construction is refused.
func TestZipHygiene(t *testing.T) {
	clean := cleanDOCX(t)
	zr, _ := zip.NewReader(bytes.NewReader(clean), int64(len(clean)))
	var base []entry
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		base = append(base, entry{f.Name, string(b)})
	}
	with := func(extra ...entry) []byte { return buildZip(t, append(append([]entry{}, base...), extra...)...) }
	for _, tc := range []struct {
		name  string
		in    []byte
		opts  Options
		limit bool
	}{
		{"ZipSlipTraversal", with(entry{"word/../../evil.xml", "<x/>"}), Options{}, false},
		{"AbsolutePath", with(entry{"/etc/passwd", "x"}), Options{}, false},
		{"Backslash", with(entry{`word\media\x.png`, "x"}), Options{}, false},
		{"DuplicateName", with(entry{"word/document.xml", docXML(para("別の本文"))}), Options{}, false},
		{"DuplicateNameCase", with(entry{"WORD/Document.xml", docXML(para("別の本文"))}), Options{}, false},
		{"TooManyEntries", with(), Options{Limits: Limits{MaxEntries: 3}}, true},
		{"PartTooLarge", clean, Options{Limits: Limits{MaxEntryBytes: 100}}, true},
		{"OverlappingEntries", overlapping(t, clean), Options{}, false},
		{"DataBeforeArchive", append([]byte("MZ"), clean...), Options{}, false},
		{"DataAfterArchive", append(append([]byte{}, clean...), "trailer"...), Options{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := Disarm(context.Background(), bytes.NewReader(tc.in), int64(len(tc.in)), &out, tc.opts)
			if err == nil {
				t.Fatal("accepted")
			}
			if tc.limit && !errors.Is(err, ErrLimit) {
				t.Errorf("error %v is not a limit error", err)
			}
		})
	}
}

// TestZipBombIsCountedNotTrusted: a part that inflates far beyond its
// compressed size is stopped while inflating, whether its header tells
// the truth (ratio limit) or lies (size check while reading).
func TestZipBombIsCountedNotTrusted(t *testing.T) {
	head := `<w:document xmlns:w="` + nsW + `"><w:body>`
	filler := bytes.Repeat([]byte(" "), 16<<20)
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write([]byte(head))
	fw.Write(filler)
	fw.Write([]byte(`</w:body></w:document>`))
	fw.Close()
	for _, declared := range []uint64{uint64(len(head) + len(filler) + 22), 1000} {
		var bomb bytes.Buffer
		zw := zip.NewWriter(&bomb)
		for _, e := range []entry{
			{"[Content_Types].xml", typesXML(nil, [2]string{"/word/document.xml", ctWordMain})},
			{"_rels/.rels", relsXML(relSpec{"rId1", relDoc, "word/document.xml", ""})},
		} {
			w, _ := zw.Create(e.name)
			w.Write([]byte(e.body))
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: "word/document.xml", Method: zip.Deflate,
			UncompressedSize64: declared, CompressedSize64: uint64(comp.Len()), CRC32: 0})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(comp.Bytes())
		zw.Close()
		b := bomb.Bytes()
		var out bytes.Buffer
		_, err = Disarm(context.Background(), bytes.NewReader(b), int64(len(b)), &out, Options{})
		if err == nil {
			t.Fatalf("declared %d: bomb accepted", declared)
		}
		if declared > 1000 && !errors.Is(err, ErrLimit) {
			t.Errorf("declared %d: %v is not a limit error", declared, err)
		}
	}
}

func TestDisarmRefusesDTD(t *testing.T) {
	// Billion laughs: encoding/xml does not expand entities, and the
	// reader refuses the DOCTYPE outright.
	doc := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><w:document xmlns:w="` + nsW + `"><w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>`
	in := patchZip(t, cleanDOCX(t), "word/document.xml", doc)
	var out bytes.Buffer
	if _, err := Disarm(context.Background(), bytes.NewReader(in), int64(len(in)), &out, Options{}); err == nil {
		t.Fatal("DOCTYPE accepted")
	}
}

func TestDisarmDepthLimit(t *testing.T) {
	deep := strings.Repeat("<w:sdt><w:sdtContent>", 200) + strings.Repeat("</w:sdtContent></w:sdt>", 200)
	in := patchZip(t, cleanDOCX(t), "word/document.xml", docXML(deep))
	var out bytes.Buffer
	_, err := Disarm(context.Background(), bytes.NewReader(in), int64(len(in)), &out, Options{})
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("err = %v, want a limit error", err)
	}
}

func TestDisarmRefusesNonOOXML(t *testing.T) {
	for name, in := range map[string][]byte{
		"plain-zip": buildZip(t, entry{"a.txt", "hello"}),
		"xlsb":      buildZip(t, entry{"[Content_Types].xml", typesXML(nil, [2]string{"/xl/workbook.bin", "application/vnd.ms-excel.sheet.binary.macroEnabled.main"})}, entry{"_rels/.rels", relsXML(relSpec{"rId1", relDoc, "xl/workbook.bin", ""})}, entry{"xl/workbook.bin", "x"}),
		"not-zip":   []byte("%PDF-1.7"),
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			if _, err := Disarm(context.Background(), bytes.NewReader(in), int64(len(in)), &out, Options{}); err == nil {
				t.Error("accepted")
			}
		})
	}
}

// BenchmarkDisarmDOCX disarms the ten-page report of bench_test.go, or
// the file named by $MUGAI_BENCH_DOCX.
func BenchmarkDisarmDOCX(b *testing.B) {
	in := benchDOCX(b)
	if p := os.Getenv("MUGAI_BENCH_DOCX"); p != "" {
		var err error
		if in, err = os.ReadFile(p); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		var out bytes.Buffer
		if _, err := Disarm(context.Background(), bytes.NewReader(in), int64(len(in)), &out, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// TestZipUnicodePathSpoofing: an entry whose Info-ZIP Unicode Path field
// (APPNOTE.TXT §4.6.9) names another part than its stored name is
// refused, so that no reader of the package sees a different part list.
func TestZipUnicodePathSpoofing(t *testing.T) {
	clean := cleanDOCX(t)
	zr, err := zip.NewReader(bytes.NewReader(clean), int64(len(clean)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	stored, shown := "word/media/image9.png", "word/vbaProject.bin"
	extra := binary.LittleEndian.AppendUint16(nil, 0x7075)
	extra = binary.LittleEndian.AppendUint16(extra, uint16(5+len(shown)))
	extra = append(extra, 1)
	extra = binary.LittleEndian.AppendUint32(extra, crc32.ChecksumIEEE([]byte(stored)))
	extra = append(extra, shown...)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: stored, Method: zip.Store, Extra: extra})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	in := buf.Bytes()
	var out bytes.Buffer
	_, err = Disarm(context.Background(), bytes.NewReader(in), int64(len(in)), &out, Options{})
	if !errors.Is(err, ErrUnsafeZip) {
		t.Fatalf("err = %v, want ErrUnsafeZip", err)
	}
}
