package transfer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/store"
)

// TestBrowserAdminPurge: an administrator logs in on the download site,
// opens the console from the menu, sees the status, finds a held mail by
// its sender and purges it with a reason.
func TestBrowserAdminPurge(t *testing.T) {
	ts := startSite(t, Options{PlainHTTP: true})
	addAdmin(t, ts)
	bad := holdMail(t, ts, "phisher@example.net", "alice@city.lg.jp", "encrypted")
	keep := holdMail(t, ts, "partner@example.org", "bob@city.lg.jp", "executable")

	bctx := startBrowser(t, t.TempDir(), 90*time.Second)
	browserLogin(t, bctx, ts.down, "dave", `nav a[href="/admin"]`)
	if err := chromedp.Do(bctx, chromedp.Click(`header nav a[href="/admin"]`), chromedp.WaitVisible("#held")); err != nil {
		t.Fatal(err)
	}
	if held, _ := chromedp.Run(bctx, chromedp.Text("#held")); !strings.HasPrefix(held, "2") {
		t.Errorf("held on the status page: %q, want 2", held)
	}
	err := chromedp.Do(bctx,
		chromedp.Click(`nav.admin-nav a[href="/admin/quarantine"]`),
		chromedp.WaitVisible("#q-sender"),
		chromedp.SendKeys("#q-sender", "phisher"),
		chromedp.Submit("#q-sender"),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, bctx, "the search's answer", `location.search.includes("sender=phisher") && document.readyState === "complete"`)
	if n := evalInt(t, bctx, `document.querySelectorAll("tr#held-`+bad+`").length * 10 + document.querySelectorAll("tr#held-`+keep+`").length`); n != 10 {
		t.Errorf("the search by sender lists the wanted mail and another sender's as %d, want 10", n)
	}
	screenshot(t, bctx, "admin.png")
	err = chromedp.Do(bctx,
		chromedp.Click("#held-"+bad+" a"),
		chromedp.WaitVisible("#reason"),
		chromedp.SendKeys("#reason", "標的型メールのため"),
		chromedp.Click(`button[value="purge"]`),
		chromedp.WaitVisible("p.notice"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if it, _, _ := ts.s.q.Get(context.Background(), bad); it.State != store.Purged {
		t.Errorf("state %s after the purge", it.State)
	}
	if evs, _ := ts.s.Audit().Events(context.Background(), audit.Filter{Item: bad, Action: actionPurge}); len(evs) != 1 || evs[0].Detail != "標的型メールのため" {
		t.Errorf("audit: %+v", evs)
	}
	if trail, _ := chromedp.Run(bctx, chromedp.Text("table.events")); !strings.Contains(trail, actionPurge) {
		t.Errorf("the item's trail on the page lacks the purge:\n%s", trail)
	}
}

// checkAdminAxe runs axe-core on each page of the console, as the
// administrator dave with a held mail in the quarantine.
func checkAdminAxe(t *testing.T, bctx context.Context, ts *testSite, axe string) {
	t.Helper()
	addAdmin(t, ts)
	id := holdMail(t, ts, "phisher@example.net", "alice@city.lg.jp", "encrypted")
	ts.newClient(ts.down).login("dave") // something in the audit trail
	logout(t, bctx)
	browserLogin(t, bctx, ts.down, "dave", `nav a[href="/admin"]`)
	for _, p := range []struct{ path, name string }{
		{"/admin", "admin status"},
		{"/admin/quarantine", "admin quarantine"},
		{"/admin/quarantine/" + id, "admin held item"},
		{"/admin/audit", "admin audit"},
		{"/admin/queue", "admin queue"},
		{"/admin/users", "admin users"},
	} {
		if err := chromedp.Do(bctx, chromedp.Navigate(ts.down+p.path), chromedp.WaitVisible("nav.admin-nav")); err != nil {
			t.Fatal(err)
		}
		checkAxe(t, bctx, axe, p.name)
	}
}
