package mail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitizer"
)

// TestOutlookInvitationSummarised: an invitation sent as Outlook sends
// it, the text/calendar alternative of its own text and HTML, carrying
// an executable ATTACH, comes out with the rebuilt calendar attached and
// the event's title, time, place and organizer in the notice.
func TestOutlookInvitationSummarised(t *testing.T) {
	ics, err := os.ReadFile(filepath.Join("..", "calendar", "testdata", "outlook-invite.ics"))
	if err != nil {
		t.Fatal(err)
	}
	raw := multipartMsg(stdHeader, "alternative", "alt",
		"Content-Type: text/plain; charset=UTF-8\r\n\r\n定例会議のご案内です。\r\n",
		"Content-Type: text/html; charset=UTF-8\r\n\r\n<html><body><p>定例会議のご案内です。</p></body></html>\r\n",
		"Content-Type: text/calendar; charset=\"utf-8\"; method=REQUEST\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64lines(ics))
	e := newEngine(t, Options{}, sanitizer.Policy{})
	p := parse(t, delivered(t, run(t, e, raw)))
	checkClean(t, p)
	if len(p.Attachments) != 1 || p.Attachments[0].Type != "text/calendar" || !strings.HasSuffix(p.Attachments[0].Filename, ".ics") {
		t.Fatalf("attachments %+v, want the rebuilt calendar", p.Attachments)
	}
	data := string(p.Attachments[0].Data)
	if strings.Contains(data, "ATTACH") || strings.Contains(data, "X-ALT-DESC") || !strings.Contains(data, "SUMMARY;LANGUAGE=ja:定例会議（4月）") {
		t.Errorf("attached calendar:\n%s", data)
	}
	n := notice(t, p.Body)
	for _, want := range []string{"の予定: 定例会議（4月）", "日時: 2025/04/10 14:00 (Tokyo Standard Time) 〜 2025/04/10 15:00 (Tokyo Standard Time)",
		"場所: 本庁舎 3階 第1会議室", "主催者: みがい商事 佐藤 <sato@mugai-fixture.invalid>"} {
		if !strings.Contains(n, want) {
			t.Errorf("notice lacks %q:\n%s", want, n)
		}
	}
	if strings.Contains(n, "別形式") {
		t.Errorf("the notice says the calendar alternative was removed:\n%s", n)
	}
}
