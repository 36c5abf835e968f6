package transfer

import (
	"bytes"
	"io"
	"mime/multipart"
	"strings"
	"testing"
)

// FuzzHeaderControls: whatever the body, the filter never changes a
// part's content, and a body without control characters in its part
// headers passes byte for byte.
func FuzzHeaderControls(f *testing.F) {
	f.Add("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\x01b.txt\"\r\n\r\n\x01body\x1b\r\n--B--\r\n", "\x01body\x1b")
	f.Add("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\n--Bx\r\n\r\n--B--\r\n", "--Bx\r\n")
	f.Fuzz(func(t *testing.T, body, content string) {
		if strings.Contains(content, "\r\n--B") || strings.HasPrefix(content, "--B") {
			return
		}
		in := "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + strings.NewReplacer("\"", "", "\r", "", "\n", "").Replace(body) + "\"\r\n\r\n" + content + "\r\n--B--\r\n"
		out, err := io.ReadAll(newHeaderControls(strings.NewReader(in), "B"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.ContainsFunc(body, func(r rune) bool { return r < 0x20 && r != '\t' && r != 0 || r == 0x7f }) && !bytes.Equal(out, []byte(in)) {
			t.Fatalf("a body without control characters in its headers changed:\n%q\n%q", in, out)
		}
		p, err := multipart.NewReader(bytes.NewReader(out), "B").NextPart()
		if err != nil {
			return // a NUL in the name, refused as before
		}
		if got, _ := io.ReadAll(p); string(got) != content {
			t.Fatalf("content %q became %q", content, got)
		}
		if strings.ContainsFunc(p.FileName(), func(r rune) bool { return r < 0x20 && r != '\t' }) {
			t.Fatalf("file name %q still has a control character", p.FileName())
		}
	})
}
