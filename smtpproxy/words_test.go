package smtpproxy

import (
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitizer"
)

// readMail parses a generated mail and returns its decoded subject and
// its first text part, base64-decoded.
func readMail(t *testing.T, raw string) (subject, text string) {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		t.Fatal(err)
	}
	body := m.Body
	if mt, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type")); strings.HasPrefix(mt, "multipart/") {
		p, err := multipart.NewReader(m.Body, params["boundary"]).NextPart()
		if err != nil {
			t.Fatal(err)
		}
		body = p
	}
	b, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, body))
	if err != nil {
		t.Fatal(err)
	}
	return subject, string(b)
}

// TestGeneratedMailWords: the withheld-message notice and the DSN say
// what happened in Japanese, then English, in the catalog's words.
func TestGeneratedMailWords(t *testing.T) {
	r := &Relay{opts: Options{Hostname: "mugai.example.jp"}}
	rep := &sanitizer.Report{Reasons: []sanitizer.Reason{sanitizer.NewReason(sanitizer.ReasonMalware, "")}}
	env := &Envelope{ID: "Q1", From: "a@example.com", Received: time.Date(2026, 12, 1, 1, 2, 3, 0, time.UTC)}
	subject, text := readMail(t, r.noticeMessage(env, r.noticeBody(env, verdict{report: rep, reason: sanitizer.ReasonMalware})))
	if subject != "[mugai] 無害化できなかったメール / Message could not be made harmless" {
		t.Errorf("notice subject %q", subject)
	}
	for _, want := range []string{
		"このメールは無害化できなかったため、お届けできませんでした。",
		"  保管ID:   Q1\r\n", "  受信日時: 2026-12-01 10:02:03 JST\r\n",
		"  理由:     ウイルス・マルウェアが検出されたため削除しました (malware)\r\n",
		"This message could not be made harmless and was not delivered.",
		"  Reason:        malware was found, removed (malware)\r\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("notice lacks %q:\n%s", want, text)
		}
	}
	if strings.Index(text, "保管ID") > strings.Index(text, "Held under ID") {
		t.Error("the English comes before the Japanese")
	}

	// An entry whose message is gone from the outbox: the DSN has no
	// Subject line to give.
	ob, err := openOutbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r.outbox = ob
	e := &Entry{ID: "Q2", OrigFrom: "a@example.com", Created: env.Received}
	subject, text = readMail(t, r.dsnMessage(e, []*RcptState{{Addr: "gone@lg.example.jp", Reply: "550 5.1.1 no such user"}}))
	if subject != "配送不能 / Undelivered Mail Returned to Sender" {
		t.Errorf("DSN subject %q", subject)
	}
	for _, want := range []string{
		"次の宛先にメールを配送できませんでした。\r\n\r\n  gone@lg.example.jp: 550 5.1.1 no such user\r\n\r\n受付ID: Q2\r\n",
		"Your message could not be delivered to the following recipients.\r\n\r\n  gone@lg.example.jp: 550 5.1.1 no such user\r\n\r\nQueue ID: Q2\r\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("DSN lacks %q:\n%s", want, text)
		}
	}
}
