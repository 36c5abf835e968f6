package smtpproxy

import (
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"
)

// TestRealWorldMailDelivered sends, through the SMTP listener, mail that
// a content sniffer may take for no text file (a raw Shift_JIS display
// name in the first field after ours, NUL bytes) or for another kind,
// and finds each
// delivered downstream as sanitized mail, its fields and text whole:
// what arrives over SMTP is a message, and is read as one.
func TestRealWorldMailDelivered(t *testing.T) {
	sjis, err := japanese.ShiftJIS.NewEncoder().String("山田 太郎")
	if err != nil {
		t.Fatal(err)
	}
	const body = "ご担当者様\r\n\r\nいつもお世話になっております。見積書をお送りします。\r\n以上、よろしくお願いいたします。\r\n"
	for _, tc := range []struct{ name, msg, from, subject string }{
		{"raw Shift_JIS display name", "From: " + sjis + " <taro@example.co.jp>\r\nTo: user@lg.example.jp\r\nSubject: =?UTF-8?B?6KaL56mN5pu4?=\r\n" +
			"Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body, "山田 太郎 <taro@example.co.jp>", "見積書"},
		{"NUL in the Subject", "From: taro@example.co.jp\r\nTo: user@lg.example.jp\r\nSubject: 見積\x00書\r\n" +
			"Content-Type: text/plain; charset=UTF-8\r\n\r\n" + body, "<taro@example.co.jp>", "見積書"},
		{"NUL as the last byte", "From: taro@example.co.jp\r\nTo: user@lg.example.jp\r\nSubject: =?UTF-8?B?6KaL56mN5pu4?=\r\n" +
			"Content-Type: text/plain; charset=UTF-8\r\n\r\n" + body + "\x00\r\n", "<taro@example.co.jp>", "見積書"},
		// A PDF header in the first KiB makes the sniffer see a PDF.
		{"a Subject naming %PDF-", "From: taro@example.co.jp\r\nTo: user@lg.example.jp\r\nSubject: scan %PDF-1.7 broken\r\n" +
			"Content-Type: text/plain; charset=UTF-8\r\n\r\n" + body, "<taro@example.co.jp>", "scan %PDF-1.7 broken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			down := startFakeMTA(t)
			o := testOptions(t)
			o.Downstream.Addr = down.addr
			r := startRelay(t, o)
			if err := sendMail(t, r.Addr().String(), "taro@example.co.jp", []string{"user@lg.example.jp"}, tc.msg); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "delivery", func() bool { return len(down.messages()) == 1 })
			got := down.messages()[0].data
			m, err := mail.ReadMessage(strings.NewReader(got))
			if err != nil {
				t.Fatalf("delivered message does not parse: %v", err)
			}
			if m.Header.Get("X-Mugai-Sanitized") == "" {
				t.Fatalf("not a sanitized message (a notice?):\n%s", got)
			}
			dec := &mime.WordDecoder{}
			if from, _ := dec.DecodeHeader(m.Header.Get("From")); from != tc.from {
				t.Errorf("From reads %q, want %q", from, tc.from)
			}
			if subj, _ := dec.DecodeHeader(m.Header.Get("Subject")); subj != tc.subject {
				t.Errorf("Subject reads %q, want %q", subj, tc.subject)
			}
			var text io.Reader = m.Body
			switch strings.ToLower(m.Header.Get("Content-Transfer-Encoding")) {
			case "base64":
				text = base64.NewDecoder(base64.StdEncoding, m.Body)
			case "quoted-printable":
				text = quotedprintable.NewReader(m.Body)
			}
			b, err := io.ReadAll(text)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), body) {
				t.Errorf("the text is not whole:\n%s", b)
			}
		})
	}
}
