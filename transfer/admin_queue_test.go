package transfer

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/store"
)

// TestAdminReleaseThenQueue: with quarantine.allow_release, an
// administrator releases a held mail with a reason; it waits in the
// relay's queue, where the console retries and then deletes it, each
// step audited and each POST refused without the CSRF token.
func TestAdminReleaseThenQueue(t *testing.T) {
	ts := startSite(t, Options{AllowRelease: true})
	addAdmin(t, ts)
	if err := os.MkdirAll(filepath.Join(ts.s.opts.DataDir, "outbox"), 0o700); err != nil {
		t.Fatal(err)
	}
	id := holdMail(t, ts, "partner@example.org", "alice@city.lg.jp", "encrypted")
	up, err := ts.s.q.Put(context.Background(), store.Item{Name: "a.zip", Reason: "encrypted", Source: "upload", Meta: map[string]string{"uploader": "bob"}}, strings.NewReader("zip"))
	if err != nil {
		t.Fatal(err)
	}
	c := ts.newClient(ts.down).login("dave")
	if _, body := c.get("/admin/quarantine/" + up); strings.Contains(body, `value="release"`) {
		t.Error("release offered for an upload, which has no recipients by mail")
	}
	if resp, _ := c.postForm("/admin/quarantine/"+up, url.Values{"csrf": {c.csrf}, "action": {"release"}, "reason": {"x"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("release of an upload: status %d, want 403", resp.StatusCode)
	}
	if _, body := c.get("/admin/quarantine/" + id); !strings.Contains(body, `value="release"`) {
		t.Fatal("release not offered with allow_release on")
	}
	resp, body := c.postForm("/admin/quarantine/"+id, url.Values{"csrf": {c.csrf}, "action": {"release"}, "reason": {"取引先からの確認済み"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "配送するよう登録しました") {
		t.Fatalf("release: status %d", resp.StatusCode)
	}
	if it, _, _ := ts.s.q.Get(context.Background(), id); it.State != store.Released || it.StateBy != "dave" {
		t.Errorf("after release: %s by %q", it.State, it.StateBy)
	}
	qid := id + "-release"
	_, body = c.get("/admin/queue")
	if !strings.Contains(body, `id="queue-`+qid+`"`) {
		t.Fatalf("the released mail is not in the queue page:\n%s", body)
	}
	_, body = c.get("/admin")
	if !strings.Contains(body, `<dd id="queue-depth">1</dd>`) {
		t.Error("the status page does not count the queued mail")
	}
	for name, v := range map[string]url.Values{
		"no csrf":   {"action": {"delete"}, "reason": {"x"}},
		"no reason": {"csrf": {c.csrf}, "action": {"delete"}},
		"action":    {"csrf": {c.csrf}, "action": {"bounce"}},
	} {
		if resp, _ := c.postForm("/admin/queue/"+qid, v); resp.StatusCode < 400 {
			t.Errorf("%s: status %d, want a refusal", name, resp.StatusCode)
		}
	}
	for _, a := range []string{"retry", "delete"} {
		resp, _ := c.postForm("/admin/queue/"+qid, url.Values{"csrf": {c.csrf}, "action": {a}, "reason": {"誤送信"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", a, resp.StatusCode)
		}
	}
	if _, body := c.get("/admin/queue"); strings.Contains(body, `id="queue-`+qid+`"`) {
		t.Error("the deleted entry is still listed")
	}
	if resp, _ := c.postForm("/admin/queue/"+qid, url.Values{"csrf": {c.csrf}, "action": {"retry"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("retry of a deleted entry: status %d, want 404", resp.StatusCode)
	}
	if evs, _ := ts.s.Audit().Events(context.Background(), audit.Filter{Item: qid, Action: actionQueue + "retry"}); len(evs) != 3 || evs[2].Outcome != "failed" {
		t.Errorf("the failed retry is not recorded as failed: %+v", evs)
	}
	for _, a := range []string{actionRelease, actionQueue + "retry", actionQueue + "delete"} {
		evs, _ := ts.s.Audit().Events(context.Background(), audit.Filter{User: "dave", Action: a})
		if len(evs) == 0 {
			t.Errorf("%s is not in the audit trail", a)
		}
	}
	// Others get 404 on the queue too.
	alice := ts.newClient(ts.down).login("alice")
	if resp, _ := alice.get("/admin/queue"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("user on /admin/queue: status %d", resp.StatusCode)
	}
	if resp, _ := alice.postForm("/admin/queue/"+qid, url.Values{"csrf": {alice.csrf}, "action": {"retry"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("user retrying: status %d", resp.StatusCode)
	}
}
