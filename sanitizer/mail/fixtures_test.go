package mail

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
)

// enc encodes UTF-8 s in a legacy charset for fixtures.
func enc(t testing.TB, e encoding.Encoding, s string) string {
	t.Helper()
	out, err := e.NewEncoder().String(s)
	if err != nil {
		t.Fatalf("encoding %q: %v", s, err)
	}
	return out
}

func b64s(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// bword is one RFC 2047 B word over raw octets.
func bword(charset, octets string) string { return "=?" + charset + "?B?" + b64s(octets) + "?=" }

// b64lines is base64 broken into 76-column CRLF lines.
func b64lines(data []byte) string {
	s := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s + "\r\n")
	return b.String()
}

// tinyPNG is a valid 4×4 PNG.
func tinyPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for i := range 4 {
		img.Set(i, i, color.RGBA{200, 10, 10, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fakeEXE starts like a PE file, which the detector calls exe.
var fakeEXE = append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), bytes.Repeat([]byte{0}, 200)...)

// multipartMsg assembles a multipart message from raw parts (each a
// header block, blank line and body, LF line ends allowed).
func multipartMsg(header, subtype, boundary string, parts ...string) string {
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\nContent-Type: multipart/%s; boundary=\"%s\"\r\n\r\n", subtype, boundary)
	b.WriteString("This is a multi-part message in MIME format.\r\n")
	for _, p := range parts {
		fmt.Fprintf(&b, "--%s\r\n%s\r\n", boundary, p)
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.String()
}

const stdHeader = "From: Sender <sender@example.com>\r\nTo: staff@city.example.lg.jp\r\nSubject: test\r\nDate: Tue, 24 Nov 2026 10:00:00 +0900\r\nMessage-ID: <fixture@example.com>\r\n"

// noticeRule closes the notice; the sender's text follows a blank line.
const noticeRule = "━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━\r\n"

// afterNotice is the body text the sender wrote, without the notice.
func afterNotice(t testing.TB, body string) string {
	t.Helper()
	i := strings.Index(body, noticeRule+"\r\n")
	if !strings.HasPrefix(body, noticeRule) || i < 0 {
		t.Fatalf("no notice at the top of the body:\n%s", body)
	}
	return body[i+len(noticeRule)+2:]
}

// notice is the notice block of the body.
func notice(t testing.TB, body string) string {
	t.Helper()
	i := strings.Index(body, noticeRule+"\r\n")
	if i < 0 {
		t.Fatalf("no notice:\n%s", body)
	}
	return body[:i]
}

var (
	sjis    = japanese.ShiftJIS
	eucjp   = japanese.EUCJP
	iso2022 = japanese.ISO2022JP
)
