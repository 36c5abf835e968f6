package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"image"
	"image/png"
	"io/fs"
	"testing"

	"github.com/mugai-project/mugai/sanitizer/archive/zipsafe"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

type vfile struct {
	name    string
	body    []byte
	flags   uint16
	mode    fs.FileMode
	nonUTF8 bool
	raw     bool
}

func vzip(t *testing.T, comment string, files ...vfile) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		fh := &zip.FileHeader{Name: f.name, Method: zip.Deflate, NonUTF8: f.nonUTF8}
		if f.mode != 0 {
			fh.SetMode(f.mode)
		}
		fh.Flags |= f.flags
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.body)
	}
	if comment != "" {
		zw.SetComment(comment)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pngFile(t *testing.T) []byte {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4)))
	return b.Bytes()
}

func TestVerifyZip(t *testing.T) {
	txt := []byte("本文\n")
	docm := testZip(t, "[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
		`<Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>`,
		"word/document.xml", "<w:document/>")
	tests := []struct {
		name string
		zip  []byte
		ok   bool
	}{
		{"clean", vzip(t, "", vfile{name: "資料/見積書.txt", body: txt}, vfile{name: "a.png", body: pngFile(t)}), true},
		{"nested clean", vzip(t, "", vfile{name: "in.zip", body: vzip(t, "", vfile{name: "a.txt", body: txt})}), true},
		{"traversal", vzip(t, "", vfile{name: "../a.txt", body: txt}), false},
		{"absolute", vzip(t, "", vfile{name: "/a.txt", body: txt}), false},
		{"backslash", vzip(t, "", vfile{name: `a\b.txt`, body: txt}), false},
		{"bidi", vzip(t, "", vfile{name: "a\u202Etxt.exe", body: txt}), false},
		{"device name", vzip(t, "", vfile{name: "con.txt", body: txt}), false},
		{"duplicate", vzip(t, "", vfile{name: "a.txt", body: txt}, vfile{name: "A.TXT", body: txt}), false},
		{"file and folder", vzip(t, "", vfile{name: "a", body: txt}, vfile{name: "a/b.txt", body: txt}), false},
		{"not flagged UTF-8", vzip(t, "", vfile{name: "見積書.txt", body: txt, nonUTF8: true}), false},
		{"encrypted flag", vzip(t, "", vfile{name: "a.txt", body: txt, flags: zipsafe.FlagEncrypted}), false},
		{"symlink", vzip(t, "", vfile{name: "a.txt", body: []byte("/etc/passwd"), mode: fs.ModeSymlink | 0o777}), false},
		{"comment", vzip(t, "hello", vfile{name: "a.txt", body: txt}), false},
		{"executable", vzip(t, "", vfile{name: "a.exe", body: []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")}), false},
		{"executable as text", vzip(t, "", vfile{name: "a.txt", body: []byte("MZ\x90\x00\x03\x00\x00\x00")}), false},
		{"html", vzip(t, "", vfile{name: "a.html", body: []byte("<html><script>x</script></html>")}), false},
		{"png named txt", vzip(t, "", vfile{name: "a.txt", body: pngFile(t)}), false},
		{"text named pdf", vzip(t, "", vfile{name: "a.pdf", body: txt}), false},
		{"macro document", vzip(t, "", vfile{name: "a.docx", body: docm}), false},
		{"nested bad", vzip(t, "", vfile{name: "in.zip", body: vzip(t, "", vfile{name: "../x.txt", body: txt})}), false},
		{"not a zip", []byte("PK\x03\x04 broken"), false},
	}
	check := Verifiers()[detect.Zip]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := check(context.Background(), bytes.NewReader(tt.zip), int64(len(tt.zip)))
			if (err == nil) != tt.ok {
				t.Errorf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
