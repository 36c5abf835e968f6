package transfer

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// sseEvent is one server-sent event as read off the wire.
type sseEvent struct{ name, data string }

// openStream opens a site's event stream as the page would and returns
// its events as they arrive.
func (c *client) openStream(query string) (*http.Response, <-chan sseEvent) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+"/events"+query, nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { resp.Body.Close() })
	out := make(chan sseEvent, 100)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data += strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return resp, out
}

// next waits for the next "list" event for which ok holds.
func next(t *testing.T, events <-chan sseEvent, ok func(listEvent) bool) listEvent {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, open := <-events:
			if !open {
				t.Fatal("the stream ended")
			}
			if ev.name != "list" {
				continue
			}
			var le listEvent
			if err := json.Unmarshal([]byte(ev.data), &le); err != nil {
				t.Fatal(err)
			}
			if ok(le) {
				return le
			}
		case <-timeout:
			t.Fatal("no such event")
		}
	}
}

// TestEventStreamFollowsTheList: the upload site's stream sends the
// list at once, then each row again as it changes (受付 → 完了), with
// the row rendered as the page renders it; the download site's stream
// shows a file addressed to the user as it arrives, and its 「ダウンロード済み」
// mark once taken.
func TestEventStreamFollowsTheList(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	alice := ts.newClient(ts.up).login("alice")
	resp, up := alice.openStream("")
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("stream: %d %s", resp.StatusCode, ct)
	}
	bob := ts.newClient(ts.down).login("bob")
	_, down := bob.openStream("?status=new")
	next(t, up, func(le listEvent) bool { return len(le.Order) == 0 })
	next(t, down, func(le listEvent) bool { return len(le.Order) == 0 })

	it := ts.uploadOne(alice, "bob", "メモ.txt", []byte("会議は3時から\n"))
	le := next(t, up, func(le listEvent) bool {
		return len(le.Rows) == 1 && strings.Contains(le.Rows[0].HTML, `data-state="done"`)
	})
	row := le.Rows[0]
	if row.ID != it.ID || !strings.Contains(row.HTML, `id="item-`+it.ID+`"`) || !strings.Contains(row.HTML, "完了") || !strings.Contains(row.HTML, "メモ.txt") {
		t.Errorf("row %+v", row)
	}
	_, page := alice.get("/")
	if !strings.Contains(page, row.HTML) {
		t.Errorf("the stream's row differs from the page's:\n%s", row.HTML)
	}
	// Without JavaScript the page offers to reload.
	if !strings.Contains(page, `<a id="live-reload" href="">`) {
		t.Errorf("no reload link")
	}
	le = next(t, down, func(le listEvent) bool { return len(le.Order) == 1 })
	if le.Order[0] != it.ID || len(le.Rows) != 1 || !strings.Contains(le.Rows[0].HTML, "未ダウンロード") {
		t.Errorf("download list %+v", le)
	}
	if r, _ := bob.get("/files/" + it.ID + "/0"); r.StatusCode != http.StatusOK {
		t.Fatalf("download: %d", r.StatusCode)
	}
	// Taken: no longer "new".
	next(t, down, func(le listEvent) bool { return len(le.Order) == 0 && strings.Contains(le.Count, "ありません") })
	_, all := bob.openStream("")
	le = next(t, all, func(le listEvent) bool { return len(le.Order) == 1 })
	if !strings.Contains(le.Rows[0].HTML, "ダウンロード済み") {
		t.Errorf("no mark: %s", le.Rows[0].HTML)
	}
}

// TestEventStreamRefusals: the stream needs a session of its own site
// and a same-origin request, as every page does.
func TestEventStreamRefusals(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	anon := ts.newClient(ts.up)
	if r, _ := anon.get("/events"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Errorf("without a session: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	alice := ts.newClient(ts.up).login("alice")
	req, _ := http.NewRequest("GET", ts.up+"/events", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := alice.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site: %d", resp.StatusCode)
	}
	// The upload site's session on the download site.
	other := ts.newClient(ts.down)
	other.c.Jar = alice.c.Jar
	if r, _ := other.get("/events"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("upload session on the download site: %d", r.StatusCode)
	}
}

// TestShutdownEndsEventStreams: open streams do not hold up Shutdown;
// each is told "end" and closed.
func TestShutdownEndsEventStreams(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	var streams []<-chan sseEvent
	for _, base := range []string{ts.up, ts.down} {
		c := ts.newClient(base).login("alice")
		_, ev := c.openStream("")
		next(t, ev, func(listEvent) bool { return true })
		streams = append(streams, ev)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := ts.s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Shutdown took %s", d)
	}
	for _, ev := range streams {
		var last sseEvent
		for e := range ev {
			last = e
		}
		if last.name != "end" || last.data != "shutdown" {
			t.Errorf("last event %+v, want end", last)
		}
	}
}
