package mail

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// seedMessages are the fixtures the fuzz test starts from.
func seedMessages(t testing.TB) []string {
	t.Helper()
	seeds := []string{
		stdHeader + "Content-Type: text/plain; charset=UTF-8\r\n\r\n本文です。https://example.com/\r\n",
		stdHeader + "Content-Type: text/html; charset=UTF-8\r\n\r\n<p onclick=x()>a<script>b</script><a href=\"javascript:c\">d</a></p>\r\n",
		multipartMsg(stdHeader, "alternative", "a", "Content-Type: text/plain\r\n\r\nplain\r\n", "Content-Type: text/html\r\n\r\n<b>html</b>\r\n"),
		multipartMsg(stdHeader, "mixed", "b", "Content-Type: text/plain\r\n\r\nx\r\n",
			"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=UTF-8''%E8%A6%8B.txt\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64lines([]byte("hello\r\n"))),
		multipartMsg(stdHeader, "mixed", "b", "Content-Type: text/plain\r\n\r\nx\r\n",
			"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\nFrom: a@b.c\r\nContent-Type: text/html\r\n\r\n<i>inner</i>\r\n"),
		stdHeader + "MIME-Version: 1.0\r\n" + nested(25),
		"From x\nSubject: " + enc(t, sjis, "件名") + "\nbroken line\n\nbody\n",
		"Subject: =?ISO-2022-JP?B?GyRCOCtAUT1x?= =?ISO-2022-JP?B?GyhC?=\r\nFrom: a@b.c\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nno header\r\n--x",
		stdHeader + "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=s\r\n\r\n--s\r\nContent-Type: text/plain\r\n\r\nsigned\r\n--s\r\nContent-Type: application/pgp-signature\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n--s--\r\n",
	}
	tn := binary.LittleEndian.AppendUint32(nil, tnefSignature)
	tn = append(tn, 1, 0)
	tn = append(tn, tnefAttr(2, attRendData, make([]byte, 14))...)
	tn = append(tn, tnefAttr(2, attAttachTitle, []byte("a.txt\x00"))...)
	tn = append(tn, tnefAttr(2, attAttachData, []byte("text\r\n"))...)
	seeds = append(seeds, multipartMsg(stdHeader, "mixed", "b", "Content-Type: text/plain\r\n\r\nx\r\n",
		"Content-Type: application/ms-tnef\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64lines(tn)))
	for _, m := range goldenMails(t) {
		seeds = append(seeds, m)
	}
	return seeds
}

// FuzzSanitizeMail runs whole messages through the engine: no panic (a
// recovered handler panic shows as an internal error), and every
// delivered message verifies and stays within a bound of the input.
func FuzzSanitizeMail(f *testing.F) {
	for _, s := range seedMessages(f) {
		f.Add([]byte(s))
	}
	// PDFs are rendered by the core, not here; keep the renderer out.
	pol := sanitizer.Policy{Actions: map[detect.Kind]sanitizer.Action{detect.PDF: sanitizer.Block}}
	pol.Limits.Timeout.Duration = 20 * time.Second
	e := newEngine(f, Options{}, pol)
	f.Fuzz(func(t *testing.T, raw []byte) {
		res, err := e.Sanitize(context.Background(), sanitizer.Input{Name: "fuzz.eml", Body: bytes.NewReader(raw)})
		if err != nil {
			t.Fatal(err)
		}
		defer res.Close()
		checkNoPanic(t, res.Report)
		if res.Report.Detected != "eml" {
			return
		}
		for _, o := range res.Outputs {
			if o.Size() > int64(len(raw))*8+1<<20 {
				t.Errorf("output of %d bytes for %d bytes of input", o.Size(), len(raw))
			}
			if err := VerifyMessage(context.Background(), o.Open(), o.Size()); err != nil {
				t.Errorf("output does not verify: %v", err)
			}
			b, _ := io.ReadAll(o.Open())
			if strings.Contains(strings.ToLower(string(b)), "<script") {
				t.Errorf("output contains <script")
			}
		}
	})
}

func checkNoPanic(t *testing.T, r *sanitizer.Report) {
	t.Helper()
	for _, rs := range r.Reasons {
		if rs.Code == sanitizer.ReasonInternal {
			t.Fatalf("internal error in %s: %s", r.Name, rs.Detail)
		}
	}
	for _, c := range r.Children {
		checkNoPanic(t, c)
	}
}

// FuzzHeaderText decodes any raw Subject value and re-encodes it: the
// decoded text is valid UTF-8 without line breaks, the written field has
// lines of at most 78 columns, and a standard reader decodes it back to
// exactly the same text.
func FuzzHeaderText(f *testing.F) {
	for _, s := range []string{
		"=?ISO-2022-JP?B?GyRCOCtAUT1xGyhC?=", "=?UTF-8?B?5LyaB?= =?UTF-8?Q?=E8=AD=B0?=", "plain ascii subject",
		"=?utf-8?q?a=0D=0ABcc:_x?=", "\x1b$B8+@Q=q\x1b(B", "\x8c\xa9\x90\xcf\x8f\x91", "=?x-unknown?B?gqA=?=",
		"=?UTF-8?B?" + b64s(strings.Repeat("長い件名", 30)) + "?=",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var tf textFindings
		text := decodeHeaderText(raw, &tf)
		if !utf8.ValidString(text) || strings.ContainsAny(text, "\r\n\x00") {
			t.Fatalf("decoded %q", text)
		}
		var b bytes.Buffer
		writeField(&b, "Subject", unstructuredTokens(text))
		for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n") {
			if len(l) > 78 && strings.Contains(l, "=?") {
				t.Fatalf("line of %d columns: %q", len(l), l)
			}
		}
		if text == "" {
			return
		}
		b.WriteString("\r\n")
		msg, err := mail.ReadMessage(&b)
		if err != nil {
			t.Fatalf("%q: %v", b.String(), err)
		}
		back, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(strings.Fields(back), " ") != strings.Join(strings.Fields(text), " ") {
			t.Fatalf("round trip: %q -> %q", text, back)
		}
	})
}
