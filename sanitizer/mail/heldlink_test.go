package mail

import (
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitizer"
)

// TestNoticeHeldLink: the notice carries the link to the recipients'
// page of what was withheld, and only when something was.
func TestNoticeHeldLink(t *testing.T) {
	var asked []string
	o := Options{English: true, HeldLink: func(id string) string {
		asked = append(asked, id)
		return "https://dl.example.lg.jp/held/" + id + ".mac"
	}}
	e := newEngine(t, o, sanitizer.Policy{})
	withExe := crlf("From: a@example.com\nTo: b@lg.example.jp\nSubject: s\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhello\n--b\nContent-Type: application/octet-stream; name=setup.exe\nContent-Transfer-Encoding: base64\n\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAA==\n--b--\n")
	res := run(t, e, withExe)
	p := parse(t, delivered(t, res))
	if len(asked) != 1 || asked[0] != res.Report.ID {
		t.Fatalf("HeldLink asked for %v, want the message's ID %s", asked, res.Report.ID)
	}
	want := "https://dl.example.lg.jp/held/" + res.Report.ID + ".mac"
	if !strings.Contains(p.Body, want) || !strings.Contains(p.Body, "原本の取り出し申請") || !strings.Contains(p.Body, "login required") {
		t.Errorf("the notice lacks the held-item link:\n%s", p.Body)
	}

	asked = nil
	plain := crlf("From: a@example.com\nTo: b@lg.example.jp\nSubject: s\n\nhello\n")
	p = parse(t, delivered(t, run(t, e, plain)))
	if len(asked) != 0 || strings.Contains(p.Body, "/held/") {
		t.Errorf("a link in a mail with nothing withheld:\n%s", p.Body)
	}
}
