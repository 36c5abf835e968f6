package calendar_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/calendar"
)

// FuzzCalendar: no input panics or stalls the handler, and every output it writes
// passes VerifyCalendar (the engine withholds one that does not; here it
// is a failure).
func FuzzCalendar(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "outlook-invite.ics"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID;X=\"a:b\",c:1\r\nSUMMARY:a\\,b\\nc\r\n d\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	f.Add([]byte("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDESCRIPTION:<b>javascript:1</b> https://a.example/\nEND:VEVENT\nEND:VCALENDAR\n"))
	e := newEngine(f, sanitizer.Policy{})
	f.Fuzz(func(t *testing.T, data []byte) {
		type result struct {
			res *sanitizer.Result
			err error
		}
		done := make(chan result, 1)
		go func() {
			res, err := e.Sanitize(context.Background(), sanitizer.Input{Name: "a.ics", Body: bytes.NewReader(data)})
			done <- result{res, err}
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("no result after 5s for %d bytes", len(data))
		}
		res, err := r.res, r.err
		if err != nil {
			t.Fatal(err)
		}
		defer res.Close()
		if res.Report.Withheld {
			for _, r := range res.Report.Reasons {
				if r.Code == sanitizer.ReasonVerify || r.Code == sanitizer.ReasonInternal {
					t.Fatalf("the handler wrote what its verifier refuses: %+v", r)
				}
			}
		}
		for _, o := range res.Outputs {
			b, _ := io.ReadAll(o.Open())
			if err := calendar.VerifyCalendar(context.Background(), bytes.NewReader(b), int64(len(b))); err != nil {
				t.Fatal(err)
			}
		}
	})
}
