package mail

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/enginetest"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// newEngine builds an engine with the mail handler and verifier, beside
// those of the formats a message's parts meet.
func newEngine(t testing.TB, o Options, pol sanitizer.Policy) *sanitizer.Engine {
	t.Helper()
	return enginetest.New(t, sanitizer.Options{Policy: pol, Handlers: Handlers(o), Verifiers: Verifiers()}, nil)
}

// run sanitizes raw as a top-level message and returns the result.
func run(t testing.TB, e *sanitizer.Engine, raw string) *sanitizer.Result {
	t.Helper()
	res, err := e.Sanitize(context.Background(), sanitizer.Input{Name: "msg.eml", Body: strings.NewReader(raw)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	return res
}

// delivered returns the sanitized message or fails the test.
func delivered(t testing.TB, res *sanitizer.Result) []byte {
	t.Helper()
	if res.Report.Withheld || len(res.Outputs) != 1 {
		t.Fatalf("message withheld: %+v", res.Report.Reasons)
	}
	o := res.Outputs[0]
	if o.Kind != detect.EML {
		t.Fatalf("output kind %s", o.Kind)
	}
	b, err := io.ReadAll(o.Open())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parsed is a sanitized message read back with net/mail and
// mime/multipart only.
type parsed struct {
	Header      mail.Header
	Subject     string
	Body        string // decoded text of the text/plain part
	Attachments []parsedPart
	Types       []string // every part's media type
}

type parsedPart struct {
	Type, Filename string
	Data           []byte
}

// parse reads a sanitized message back independently of the sanitizer.
func parse(t testing.TB, raw []byte) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail: %v", err)
	}
	var p parsed
	p.Header = msg.Header
	dec := &mime.WordDecoder{}
	p.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("content-type: %v", err)
	}
	p.Types = append(p.Types, mt)
	if mt == "text/plain" {
		p.Body = decodeText(t, msg.Body, msg.Header.Get("Content-Transfer-Encoding"))
		return p
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for i := 0; ; i++ {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		p.Types = append(p.Types, pt)
		if i == 0 {
			p.Body = decodeText(t, part, part.Header.Get("Content-Transfer-Encoding"))
			continue
		}
		_, dp, err := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		if err != nil {
			t.Fatalf("content-disposition %q: %v", part.Header.Get("Content-Disposition"), err)
		}
		var r io.Reader = part
		if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "base64") {
			r = base64Decoder(part)
		}
		data, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		p.Attachments = append(p.Attachments, parsedPart{Type: pt, Filename: dp["filename"], Data: data})
	}
	return p
}

func decodeText(t testing.TB, r io.Reader, cte string) string {
	t.Helper()
	switch strings.ToLower(cte) {
	case "base64":
		r = base64Decoder(r)
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// crlf turns a readable fixture with LF line ends into a wire message.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
