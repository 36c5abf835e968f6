package smtpproxy

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// TestSendStaysInLGWAN: what the sites send goes only to the LGWAN
// domains, once per ID, with a null sender.
func TestSendStaysInLGWAN(t *testing.T) {
	r := startRelay(t, testOptions(t))
	ctx := context.Background()
	msg := "From: postmaster@mugai.test\r\nTo: <user@lg.example.jp>\r\nSubject: note\r\n\r\nA request waits.\r\n"
	for name, to := range map[string][]string{
		"Internet":   {"someone@example.com"},
		"routed":     {"a%b@lg.example.jp"},
		"none":       nil,
		"one of two": {"user@lg.example.jp", "x@example.org"},
	} {
		if err := r.Send(ctx, "20261203T000000Z-0000000000000001-n", to, strings.NewReader(msg)); err == nil {
			t.Errorf("%s: sent to %v", name, to)
		}
	}
	for _, id := range []string{"", "../x", "tmp", strings.Repeat("a", 81)} {
		if err := r.Send(ctx, id, []string{"user@lg.example.jp"}, strings.NewReader(msg)); err == nil {
			t.Errorf("sent under outbox ID %q", id)
		}
	}
	for range 2 {
		if err := r.Send(ctx, "20261203T000000Z-0000000000000001-n", []string{"user@lg.example.jp"}, strings.NewReader(msg)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "delivery", func() bool { return len(maildirFiles(t, r, "user@lg.example.jp")) == 1 })
	time.Sleep(200 * time.Millisecond)
	if n := len(maildirFiles(t, r, "user@lg.example.jp")); n != 1 {
		t.Errorf("the same ID sent twice was delivered %d times", n)
	}
}

// TestNoticeCarriesHeldLink: the notice sent instead of a withheld
// message links to its page on the download site.
func TestNoticeCarriesHeldLink(t *testing.T) {
	o := testOptions(t)
	o.HeldLink = func(id string) string { return "https://dl.example.lg.jp/held/" + id + ".mac" }
	r := listening(t, o)
	env := &Envelope{ID: "20261203T000000Z-00000000000000ab", From: "a@example.com", To: []string{"user@lg.example.jp"}, Received: time.Now()}
	n := r.noticeMessage(env, r.noticeBody(env, verdict{reason: "internal-error"}))
	_, body, _ := strings.Cut(n, "\r\n\r\n")
	dec, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(body, "\r\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(dec), "https://dl.example.lg.jp/held/"+env.ID+".mac") {
		t.Errorf("no link in the notice:\n%s", dec)
	}
}
