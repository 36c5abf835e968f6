package detect

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitizer/charset"
)

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"mimetype", "[Content_Types].xml", "word/document.xml", "a.txt"} {
		body, ok := files[name]
		if !ok {
			continue
		}
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func contentTypes(main string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/word/document.xml" ContentType="` + main + `"/></Types>`
}

func TestDetectKinds(t *testing.T) {
	iso := make([]byte, 0x8800)
	copy(iso[0x8001:], "CD001")
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	tw.WriteHeader(&tar.Header{Name: "a.txt", Mode: 0o644, Size: 2})
	tw.Write([]byte("hi"))
	tw.Close()
	var gz bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write([]byte("hello"))
	gw.Close()

	tests := []struct {
		name string
		file string
		data []byte
		want Kind
	}{
		{"empty", "", nil, Empty},
		{"pdf", "a.pdf", []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"), PDF},
		{"pdf after junk", "a.pdf", append(bytes.Repeat([]byte{'x'}, 500), "%PDF-1.4\n"...), PDF},
		{"png", "", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), PNG},
		{"jpeg", "", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0}, JPEG},
		{"gif", "", []byte("GIF89a\x01\x00\x01\x00"), GIF},
		{"ole2", "a.doc", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0}, OLE2},
		{"rtf", "a.rtf", []byte(`{\rtf1\ansi hello}`), RTF},
		{"onenote", "a.one", []byte{0xE4, 0x52, 0x5C, 0x7B, 0x8C, 0xD8, 0xA7, 0x4D, 0xAE, 0xB1}, OneNote},
		{"lnk", "a.lnk", []byte{0x4C, 0, 0, 0, 0x01, 0x14, 0x02, 0, 0, 0, 0, 0}, LNK},
		{"exe", "a.exe", append([]byte("MZ\x90\x00"), make([]byte, 60)...), EXE},
		{"elf", "a", []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"), ELF},
		{"iso", "a.iso", iso, ISO},
		{"7z", "", []byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C, 0, 4}, SevenZ},
		{"rar", "", []byte("Rar!\x1a\x07\x01\x00"), RAR},
		{"gzip", "", gz.Bytes(), Gzip},
		{"tar", "", tarBuf.Bytes(), Tar},
		{"zip", "a.zip", zipOf(t, map[string]string{"a.txt": "hi"}), Zip},
		{"docx", "a.docx", zipOf(t, map[string]string{
			"[Content_Types].xml": contentTypes("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
			"word/document.xml":   "<w:document/>"}), DOCX},
		{"docm", "a.docx", zipOf(t, map[string]string{
			"[Content_Types].xml": contentTypes("application/vnd.ms-word.document.macroEnabled.main+xml"),
			"word/document.xml":   "<w:document/>"}), DOCM},
		{"odt", "a.odt", zipOf(t, map[string]string{"mimetype": "application/vnd.oasis.opendocument.text"}), ODT},
		{"html", "a.txt", []byte("<!DOCTYPE html><html><body>hi</body></html>"), HTML},
		{"html fragment", "", []byte("hello <script>alert(1)</script>"), HTML},
		{"svg", "a.svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>`), SVG},
		{"xml", "a.xml", []byte(`<?xml version="1.0"?><root/>`), XML},
		{"eml", "", []byte("From: a@example.jp\r\nTo: b@example.jp\r\nSubject: hi\r\n\r\nbody\r\n"), EML},
		{"mbox", "", []byte("From a@example.jp Mon Jan  1 00:00:00 2024\nSubject: hi\n\nbody\n"), EML},
		{"shebang", "run.txt", []byte("#!/bin/sh\necho hi\n"), Script},
		{"script by name", "run.vbs", []byte("MsgBox \"hi\"\n"), Script},
		{"text", "a.txt", []byte("こんにちは、世界。\n"), Text},
		{"csv", "a.csv", []byte("a,b\n1,2\n"), CSV},
		{"binary", "a.bin", []byte{0, 1, 2, 3, 0xFF, 0xFE, 0, 0, 7, 8, 9}, Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Detect(bytes.NewReader(tt.data), int64(len(tt.data)), tt.file, "")
			if got.Kind != tt.want {
				t.Errorf("Detect = %s, want %s", got.Kind, tt.want)
			}
		})
	}
}

func TestDetectIgnoresNameAndDeclaredType(t *testing.T) {
	exe := append([]byte("MZ\x90\x00"), make([]byte, 60)...)
	got := Detect(bytes.NewReader(exe), int64(len(exe)), "invoice.pdf", "application/pdf")
	if got.Kind != EXE {
		t.Fatalf("Detect = %s, want exe", got.Kind)
	}
	if !hasFinding(got.Findings, FindingTypeMismatch) {
		t.Errorf("findings %v lack %s", got.Findings, FindingTypeMismatch)
	}
}

func TestNameFindings(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"invoice\u202Efdp.exe", []string{FindingBidiControl}},
		{"report.pdf.exe", []string{FindingDoubleExt}},
		{"report.pdf.exe. . ", []string{FindingDoubleExt, FindingTrailingDots}},
		{"見積書.pdf", nil},
		{"archive.tar.gz", nil},
		{"a\x07b.txt", []string{FindingControlChars}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NameFindings(tt.name)
			if len(got) != len(tt.want) {
				t.Fatalf("NameFindings(%q) = %v, want codes %v", tt.name, got, tt.want)
			}
			for _, w := range tt.want {
				if !hasFinding(got, w) {
					t.Errorf("NameFindings(%q) = %v, missing %s", tt.name, got, w)
				}
			}
		})
	}
}

func TestPolyglotFinding(t *testing.T) {
	data := append([]byte("%PDF-1.4\n%%EOF\n"), zipOf(t, map[string]string{"a.txt": "payload"})...)
	got := Detect(bytes.NewReader(data), int64(len(data)), "a.pdf", "")
	if got.Kind != PDF || !hasFinding(got.Findings, FindingPolyglot) {
		t.Errorf("Detect = %s %v, want pdf with a polyglot finding", got.Kind, got.Findings)
	}
}

func TestCleanName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"../../etc/passwd", "passwd"},
		{`C:\Users\x\見積書.pdf`, "見積書.pdf"},
		{"invoice\u202Efdp.exe", "invoicefdp.exe"},
		{"report.pdf. . ", "report.pdf"},
		{"...", "file"},
		{".bashrc", "bashrc"},
		{"a:b*c?.txt", "a_b_c_.txt"},
		{strings.Repeat("あ", 100) + ".txt", strings.Repeat("あ", 65) + ".txt"},
	}
	for _, tt := range tests {
		if got := CleanName(tt.in); got != tt.want {
			t.Errorf("CleanName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := WithExt("見積書.docm", ".docx"); got != "見積書.docx" {
		t.Errorf("WithExt = %q", got)
	}
}

func hasFinding(fs []Finding, code string) bool {
	for _, f := range fs {
		if f.Code == code {
			return true
		}
	}
	return false
}

func FuzzDetect(f *testing.F) {
	f.Add([]byte("%PDF-1.7\n"), "a.pdf")
	f.Add([]byte("From: a\r\nTo: b\r\n\r\n"), "a.eml")
	f.Add([]byte("PK\x03\x04"), "a.zip")
	f.Add([]byte("\xfe\xff\x00a\x00b"), "a.txt")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		got := Detect(bytes.NewReader(data), int64(len(data)), name, "")
		if got.Kind == "" || MediaType(got.Kind) == "" {
			t.Fatalf("empty verdict for %q", data)
		}
		if c := CleanName(name); strings.ContainsAny(c, "/\\\u202E") || c == "" {
			t.Fatalf("CleanName(%q) = %q", name, c)
		}
	})
}

func TestZipHoldingAPDFIsAZip(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "a.pdf", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("%PDF-1.4\n%%EOF\n"))
	zw.Close()
	got := Detect(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "a.zip", "")
	if got.Kind != Zip || !hasFinding(got.Findings, FindingPolyglot) {
		t.Errorf("Detect = %s %v, want zip with a polyglot finding", got.Kind, got.Findings)
	}
}

func TestHTMLCharsetFromMeta(t *testing.T) {
	page := []byte(`<html><head><meta charset="Shift_JIS"></head><body>ascii only here</body></html>`)
	got := Detect(bytes.NewReader(page), int64(len(page)), "a.html", "")
	if got.Kind != HTML || got.Charset != charset.ShiftJIS {
		t.Errorf("Detect = %s %q, want html Shift_JIS", got.Kind, got.Charset)
	}
}

// TestWindowsRunnableNames: text under a name that Windows runs is a
// script, however the name hides its extension, and the report says both
// what the name and what the content are.
func TestWindowsRunnableNames(t *testing.T) {
	text := []byte("echo mugai fixture\r\n")
	html := []byte("<html><body>hi</body></html>")
	tests := []struct {
		name string
		data []byte
		want Kind
	}{
		{"請求書.exe", text, Script},
		{"EICAR.COM", text, Script},
		{"setup.scr", text, Script},
		{"run.pif", text, Script},
		{"a.msi", text, Script},
		{"page.hta", html, Script},
		{"invoice.pdf. . .", text, Text},
		{"update.ps1. . ", text, Script},
		{"請求書\u202Etxt.bat", text, Script},
		{`C:\Users\x\手順.cmd`, text, Script},
		{"plan.txt", text, Text},
		{"a.exe", []byte("%PDF-1.4\n%%EOF\n"), PDF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Detect(bytes.NewReader(tt.data), int64(len(tt.data)), tt.name, "")
			if got.Kind != tt.want {
				t.Fatalf("Detect = %s, want %s", got.Kind, tt.want)
			}
			if tt.want == Script {
				f := findingOf(got.Findings, FindingScriptName)
				if f == nil || !strings.Contains(f.Detail, RunnableExt(tt.name)) || !strings.Contains(f.Detail, "content is text") && !strings.Contains(f.Detail, "content is html") {
					t.Errorf("findings %v: want a %s finding naming the extension and the content", got.Findings, FindingScriptName)
				}
			}
		})
	}
}

func findingOf(fs []Finding, code string) *Finding {
	for i := range fs {
		if fs[i].Code == code {
			return &fs[i]
		}
	}
	return nil
}
