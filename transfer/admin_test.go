package transfer

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/internal/catalog"
	"github.com/mugai-project/mugai/internal/store"
)

// addAdmin adds the administrator dave to a test site.
func addAdmin(t *testing.T, ts *testSite) {
	t.Helper()
	if err := ts.s.Users().Add(context.Background(), auth.User{Name: "dave", Role: auth.RoleAdmin}, testPassword); err != nil {
		t.Fatal(err)
	}
}

// holdMail puts a mail original into the quarantine as the relay does.
func holdMail(t *testing.T, ts *testSite, from, to, reason string) string {
	t.Helper()
	id, err := ts.s.q.Put(context.Background(), store.Item{
		Name: "message.eml", MediaType: "message/rfc822", Reason: reason, Source: "smtp",
		Report:      []byte(`{"detected":"zip","action":"hold","withheld":true,"reason":"encrypted"}`),
		RetainUntil: ts.clock.Now().AddDate(0, 0, 90),
		Meta:        map[string]string{"from": from, "to": `["` + to + `"]`},
	}, strings.NewReader("From: "+from+"\r\nSubject: x\r\n\r\nbody\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

var adminPaths = []string{"/admin", "/admin/quarantine", "/admin/audit", "/admin/audit?format=csv", "/admin/queue", "/admin/users"}

func TestAdminPagesOnlyForAdministrators(t *testing.T) {
	ts := startSite(t, Options{})
	addAdmin(t, ts)
	id := holdMail(t, ts, "mallory@example.net", "alice@city.lg.jp", "encrypted")
	paths := append(adminPaths, "/admin/quarantine/"+id)
	others := map[string]*client{
		"no session": ts.newClient(ts.down),
		"user":       ts.newClient(ts.down).login("alice"),
		"approver":   ts.newClient(ts.down).login("carol"),
	}
	for who, c := range others {
		for _, p := range paths {
			if resp, _ := c.get(p); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: GET %s: status %d, want 404", who, p, resp.StatusCode)
			}
		}
		c.get("/")
		if resp, _ := c.postForm("/admin/quarantine/"+id, url.Values{"csrf": {c.csrf}, "action": {"purge"}, "reason": {"x"}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: purge: status %d, want 404", who, resp.StatusCode)
		}
	}
	// The upload site has no console at all, even for an administrator.
	up := ts.newClient(ts.up).login("dave")
	if resp, _ := up.get("/admin"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("upload site /admin: status %d, want 404", resp.StatusCode)
	}
	admin := ts.newClient(ts.down).login("dave")
	for _, p := range paths {
		if resp, _ := admin.get(p); resp.StatusCode != http.StatusOK {
			t.Errorf("admin: GET %s: status %d", p, resp.StatusCode)
		}
	}
	if it, _, _ := ts.s.q.Get(context.Background(), id); it.State != store.Held {
		t.Errorf("state %s after refused purges, want held", it.State)
	}
}

func TestAdminStatus(t *testing.T) {
	ts := startSite(t, Options{})
	addAdmin(t, ts)
	holdMail(t, ts, "a@example.net", "alice@city.lg.jp", "encrypted")
	holdMail(t, ts, "b@example.net", "alice@city.lg.jp", "encrypted")
	holdMail(t, ts, "c@example.net", "bob@city.lg.jp", "executable")
	_, body := ts.newClient(ts.down).login("dave").get("/admin")
	for _, want := range []string{`<dd id="held">3`, "encrypted: 2", "executable: 1", "稼働状況", "LibreOffice・tesseractの状態を確認した時刻", `<dd id="parts-checked"><time datetime="`} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
}

func TestAdminQuarantineSearchAndPurge(t *testing.T) {
	ts := startSite(t, Options{})
	addAdmin(t, ts)
	bad := holdMail(t, ts, "Mallory@Example.NET", "alice@city.lg.jp", "encrypted")
	other := holdMail(t, ts, "trent@example.org", "bob@city.lg.jp", "executable")
	c := ts.newClient(ts.down).login("dave")
	it, _, _ := ts.s.q.Get(context.Background(), bad)
	for name, tc := range map[string]struct {
		query string
		want  []string
	}{
		"sender":    {"sender=mallory", []string{bad}},
		"recipient": {"recipient=bob@", []string{other}},
		"reason":    {"reason=executable", []string{other}},
		"hash":      {"hash=" + it.SHA256[:12], []string{bad}},
		"date":      {"from=" + ts.clock.Now().Format("2006-01-02"), []string{bad, other}},
		"past":      {"to=2000-01-01", nil},
		"state":     {"state=purged", nil},
	} {
		t.Run(name, func(t *testing.T) {
			_, body := c.get("/admin/quarantine?" + tc.query)
			for _, id := range []string{bad, other} {
				want := strings.Contains(strings.Join(tc.want, " "), id)
				if got := strings.Contains(body, `id="held-`+id+`"`); got != want {
					t.Errorf("%s listed: %v, want %v", id, got, want)
				}
			}
		})
	}
	_, body := c.get("/admin/quarantine/" + bad)
	for _, want := range []string{"Mallory@Example.NET", "alice@city.lg.jp", it.SHA256, "原本を削除", catalog.Text(catalog.Japanese, "reason.encrypted")} {
		if !strings.Contains(body, want) {
			t.Errorf("item page lacks %q", want)
		}
	}
	if strings.Contains(body, `value="release"`) {
		t.Error("release offered although quarantine.allow_release is off")
	}
	// CSRF, a reason and a known action are required; release is off.
	for name, v := range map[string]url.Values{
		"no csrf":   {"action": {"purge"}, "reason": {"spam"}},
		"no reason": {"csrf": {c.csrf}, "action": {"purge"}},
		"action":    {"csrf": {c.csrf}, "action": {"delete"}, "reason": {"spam"}},
		"release":   {"csrf": {c.csrf}, "action": {"release"}, "reason": {"spam"}},
	} {
		if resp, _ := c.postForm("/admin/quarantine/"+bad, v); resp.StatusCode < 400 {
			t.Errorf("%s: status %d, want a refusal", name, resp.StatusCode)
		}
	}
	if it, _, _ := ts.s.q.Get(context.Background(), bad); it.State != store.Held {
		t.Fatalf("state %s after refused posts", it.State)
	}
	resp, body := c.postForm("/admin/quarantine/"+bad, url.Values{"csrf": {c.csrf}, "action": {"purge"}, "reason": {"迷惑メール"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "原本を削除しました") {
		t.Fatalf("purge: status %d", resp.StatusCode)
	}
	if it, _, _ := ts.s.q.Get(context.Background(), bad); it.State != store.Purged || it.StateBy != "dave" {
		t.Errorf("after purge: state %s by %q", it.State, it.StateBy)
	}
	evs, _ := ts.s.Audit().Events(context.Background(), audit.Filter{Item: bad, Action: actionPurge})
	if len(evs) != 1 || evs[0].User != "dave" || evs[0].Detail != "迷惑メール" || evs[0].SHA256In != it.SHA256 {
		t.Errorf("audit of the purge: %+v", evs)
	}
	if resp, _ := c.postForm("/admin/quarantine/"+bad, url.Values{"csrf": {c.csrf}, "action": {"purge"}, "reason": {"again"}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("second purge: status %d, want 409", resp.StatusCode)
	}
}

func TestAdminAuditFiltersAndExport(t *testing.T) {
	ts := startSite(t, Options{})
	addAdmin(t, ts)
	ts.newClient(ts.down).login("alice")
	ts.newClient(ts.down).login("bob")
	c := ts.newClient(ts.down).login("dave")
	_, body := c.get("/admin/audit?user=alice&action=login")
	if !strings.Contains(body, "<td class=\"who\">alice</td>") || strings.Contains(body, "<td class=\"who\">bob</td>") {
		t.Error("the user filter does not filter")
	}
	if _, body := c.get("/admin/audit?to=2000-01-01"); !strings.Contains(body, "該当する記録はありません") {
		t.Error("the date filter does not filter")
	}
	resp, body := c.get("/admin/audit?user=bob&format=csv")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}
	if !strings.HasPrefix(body, "\uFEFF") {
		t.Error("CSV without the BOM")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][3] != "bob" || rows[1][5] != audit.Login {
		t.Errorf("CSV rows %q, %v", rows, err)
	}
	evs, _ := ts.s.Audit().Events(context.Background(), audit.Filter{User: "dave", Action: actionAuditExport})
	if len(evs) != 1 || evs[0].Detail != "user=bob" {
		t.Errorf("the export is not audited: %+v", evs)
	}
}
