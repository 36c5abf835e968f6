package calendar_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/calendar"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

func newEngine(t testing.TB, pol sanitizer.Policy) *sanitizer.Engine {
	t.Helper()
	e, err := sanitizer.New(sanitizer.Options{
		Policy: pol, TempDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler),
		Handlers: calendar.Handlers(calendar.Options{}), Verifiers: calendar.Verifiers(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// sanitize runs body through e and returns the report and the one
// output's text ("" when withheld).
func sanitize(t *testing.T, e *sanitizer.Engine, name string, body []byte) (*sanitizer.Report, string) {
	t.Helper()
	res, err := e.Sanitize(context.Background(), sanitizer.Input{Name: name, Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if len(res.Outputs) == 0 {
		return res.Report, ""
	}
	if len(res.Outputs) != 1 {
		t.Fatalf("%d outputs", len(res.Outputs))
	}
	b, err := io.ReadAll(res.Outputs[0].Open())
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outputs[0]; o.Kind != detect.Calendar || o.MediaType != "text/calendar; charset=UTF-8" || !strings.HasSuffix(o.Name, ".ics") {
		t.Errorf("output %q kind %s type %q", o.Name, o.Kind, o.MediaType)
	}
	return res.Report, string(b)
}

func removed(rep *sanitizer.Report, what string) int {
	for _, r := range rep.Removed {
		if r.What == what {
			return r.Count
		}
	}
	return 0
}

// TestOutlookInvitationWithExecutableAttach: an Outlook invitation that
// carries an executable as a base64 ATTACH, an HTML X-ALT-DESC, a
// procedure alarm and javascript: URLs comes out as a calendar that
// keeps the meeting and nothing that runs.
func TestOutlookInvitationWithExecutableAttach(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "outlook-invite.ics"))
	if err != nil {
		t.Fatal(err)
	}
	rep, out := sanitize(t, newEngine(t, sanitizer.Policy{}), "invite.ics", in)
	if rep.Withheld || rep.Detected != detect.Calendar || rep.Action != sanitizer.Text {
		t.Fatalf("report %+v", rep)
	}
	unfolded := strings.ReplaceAll(out, "\r\n ", "")
	for _, want := range []string{
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:",
		"METHOD:REQUEST\r\n",
		"SUMMARY;LANGUAGE=ja:定例会議（4月）\r\n",
		`DTSTART;TZID="Tokyo Standard Time":20250410T140000` + "\r\n",
		"LOCATION:本庁舎 3階 第1会議室\r\n",
		`ORGANIZER;CN="みがい商事 佐藤":mailto:sato@mugai-fixture.invalid` + "\r\n",
		`ATTENDEE;CN="総務課 山田";RSVP=TRUE:mailto:yamada@city.mugai-fixture.invalid` + "\r\n",
		"RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=TH\r\n",
		"hxxps://evil[.]mugai-fixture[.]invalid/",
		"BEGIN:VTIMEZONE\r\nTZID:Tokyo Standard Time\r\nBEGIN:STANDARD\r\n",
	} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"ATTACH", "X-ALT-DESC", "X-MS", "VALARM", "PROCEDURE", "URL:", "ALTREP", "SENT-BY", "DIR=",
		"javascript:", "<script", "https://", "TVqQ" /* the base64 of MZ */, "calc.exe"} {
		if strings.Contains(strings.ToUpper(unfolded), strings.ToUpper(bad)) {
			t.Errorf("output holds %q:\n%s", bad, out)
		}
	}
	if strings.Count(unfolded, "ATTENDEE") != 1 {
		t.Errorf("the attendee with a javascript: address was kept:\n%s", out)
	}
	for what, n := range map[string]int{"calendar-attachment": 3, "calendar-html-description": 1, "calendar-alarm": 1, "calendar-invalid-value": 1} {
		if got := removed(rep, what); got != n {
			t.Errorf("removed %s = %d, want %d (%+v)", what, got, n, rep.Removed)
		}
	}
	for i, l := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		if len(l) > 75 {
			t.Errorf("line %d is %d octets: %q", i+1, len(l), l)
		}
	}
}

// TestCalendarSniffedBeforeHTML: a calendar whose description holds HTML
// is a calendar, not an HTML page to flatten into one line.
func TestCalendarSniffedBeforeHTML(t *testing.T) {
	in := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20250401T000000Z\r\nX-ALT-DESC;FMTTYPE=text/html:<html><body>hi</body></html>\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	if got := detect.Detect(bytes.NewReader(in), int64(len(in)), "invite.ics", "text/calendar"); got.Kind != detect.Calendar || len(got.Findings) != 0 {
		t.Fatalf("Detect = %s %v", got.Kind, got.Findings)
	}
}

func TestCalendarLinksPolicy(t *testing.T) {
	in := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20250401T000000Z\r\nDESCRIPTION:参加 https://meet.example.jp/r/1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	for policy, want := range map[string]string{"": "hxxps://meet[.]example[.]jp/r/1", "keep": "https://meet.example.jp/r/1", "remove": "[リンク削除]"} {
		_, out := sanitize(t, newEngine(t, sanitizer.Policy{Text: sanitizer.TextPolicy{Links: policy}}), "a.ics", in)
		if !strings.Contains(strings.ReplaceAll(out, "\r\n ", ""), "DESCRIPTION:参加 "+want) {
			t.Errorf("links %q: output\n%s", policy, out)
		}
	}
}

// TestMalformedCalendarsWithheld: what is not a calendar by the grammar,
// or keeps no event, is withheld, never passed.
func TestMalformedCalendarsWithheld(t *testing.T) {
	e := newEngine(t, sanitizer.Policy{})
	tests := map[string]string{
		"not closed":            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\n",
		"param without value":   "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID;X=a\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		"wrong END":             "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
		"no event":              "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VJOURNAL\r\nUID:1\r\nEND:VJOURNAL\r\nEND:VCALENDAR\r\n",
		"content after the end": "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR\r\n",
		"nested too deep":       "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nBEGIN:VALARM\r\nBEGIN:X\r\nBEGIN:Y\r\nEND:Y\r\nEND:X\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			rep, out := sanitize(t, e, "a.ics", []byte(in))
			if !rep.Withheld || out != "" {
				t.Errorf("not withheld: %+v", rep)
			}
		})
	}
}

// TestShiftJISCalendar: an old Japanese client's calendar in Shift_JIS is
// rebuilt in UTF-8.
func TestShiftJISCalendar(t *testing.T) {
	sjis := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20250401T000000Z\r\nSUMMARY:\x89\xef\x8b\x63\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n") // 会議
	rep, out := sanitize(t, newEngine(t, sanitizer.Policy{}), "a.ics", sjis)
	if rep.Withheld || !strings.Contains(out, "SUMMARY:会議\r\n") {
		t.Errorf("report %+v, output\n%s", rep.Reasons, out)
	}
}

func TestSummarize(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "outlook-invite.ics"))
	if err != nil {
		t.Fatal(err)
	}
	_, out := sanitize(t, newEngine(t, sanitizer.Policy{}), "invite.ics", in)
	ev, err := calendar.Summarize(strings.NewReader(out))
	if err != nil || len(ev) != 1 {
		t.Fatalf("Summarize = %v, %v", ev, err)
	}
	want := calendar.Event{Summary: "定例会議（4月）", When: "2025/04/10 14:00 (Tokyo Standard Time) 〜 2025/04/10 15:00 (Tokyo Standard Time)",
		Location: "本庁舎 3階 第1会議室", Organizer: "みがい商事 佐藤 <sato@mugai-fixture.invalid>"}
	if ev[0] != want {
		t.Errorf("Summarize = %+v\nwant %+v", ev[0], want)
	}
}
