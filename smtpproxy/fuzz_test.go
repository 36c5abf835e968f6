package smtpproxy

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzEOLChecker: the bare CR/LF check agrees with a plain scan of the
// bytes, however they are split across writes.
func FuzzEOLChecker(f *testing.F) {
	for _, s := range []string{"a\r\nb\r\n", "a\n.\nb", "a\r\n.\r", "\r", "\n", "\r\r\n", "x\r\n.\n", ""} {
		f.Add([]byte(s), uint8(1))
	}
	f.Fuzz(func(t *testing.T, b []byte, split uint8) {
		want := false
		for i, c := range b {
			if c == '\n' && (i == 0 || b[i-1] != '\r') || c == '\r' && (i == len(b)-1 || b[i+1] != '\n') {
				want = true
			}
		}
		c := &eolChecker{}
		n := int(split)%(len(b)+1) + 1
		for len(b) > 0 {
			k := min(n, len(b))
			c.Write(b[:k])
			b = b[k:]
		}
		if c.bare() != want {
			t.Fatalf("bare() = %v, want %v", c.bare(), want)
		}
	})
}

// FuzzOpenSpooled: a spool file of any content is read or refused,
// never a panic, and the message section never exceeds the file.
func FuzzOpenSpooled(f *testing.F) {
	f.Add([]byte(`{"id":"20260101T000000Z-abc","from":"a@example.com","to":["u@lg.example.jp"],"received":"2026-01-01T00:00:00Z"}` + "\nSubject: x\r\n\r\nbody\r\n"))
	f.Add([]byte("\n"))
	f.Add([]byte("{}\n"))
	f.Add([]byte(`{"to":null}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		name := filepath.Join(dir, "spooled")
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
		_, file, body, err := openSpooled(name)
		if err != nil {
			return
		}
		defer file.Close()
		if body.Size() < 0 || body.Size() > int64(len(b)) {
			t.Fatalf("body size %d of a %d-byte file", body.Size(), len(b))
		}
		i := bytes.IndexByte(b, '\n')
		if int64(len(b)-i-1) != body.Size() {
			t.Fatalf("body does not start after the envelope line")
		}
	})
}

// FuzzReportedHeaders: the headers a DSN returns are printable ASCII
// lines of the allowed fields within the bound, and the Subject is one
// bounded line, whatever the message.
func FuzzReportedHeaders(f *testing.F) {
	f.Add([]byte(simpleMessage))
	f.Add([]byte("Subject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\r\n\tmore\r\nTo: a@b\r\n\r\n"))
	f.Add([]byte("Subject: \x00\r\nFrom: a\xff\r\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		o := &outbox{dir: t.TempDir()}
		os.WriteFile(o.entryPath("x"), append([]byte(`{"id":"x"}`+"\n"), msg...), 0o600)
		h, subj := o.reportedHeaders("x")
		if len(h) > maxDSNHeaders || !printableASCII(strings.ReplaceAll(h, "\r\n", "")) || (h != "" && !strings.HasSuffix(h, "\r\n")) {
			t.Fatalf("headers %q", h)
		}
		for _, line := range strings.Split(strings.TrimSuffix(h, "\r\n"), "\r\n") {
			if name, _, _ := strings.Cut(line, ":"); line != "" && line[0] != ' ' && line[0] != '\t' && !dsnHeaderFields[strings.ToLower(name)] {
				t.Fatalf("field %q returned", line)
			}
		}
		if len(subj) > 200 || strings.ContainsAny(subj, "\r\n") {
			t.Fatalf("subject %q", subj)
		}
	})
}
