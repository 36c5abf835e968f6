package transfer

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/sanitizer"
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

// TestBrowserAdminPartsSubjectAndNotice: the status page says whether the
// PDF renderer, LibreOffice and tesseract are up beside the scanner; the
// quarantine is searched by subject (the one the relay recorded, or for
// an older original, its header's); an item's page shows the notice its
// recipients got.
func TestBrowserAdminPartsSubjectAndNotice(t *testing.T) {
	hs := startHeldSite(t)
	ctx := context.Background()
	// A PDF starts the renderer.
	pdf := readCorpus(t, "pdf/clean-en-3pages.pdf")
	res, err := hs.s.eng.Sanitize(ctx, sanitizer.Input{Name: "a.pdf", Body: bytes.NewReader(pdf)})
	if err != nil {
		t.Fatal(err)
	}
	res.Close()
	invoice := "From: sender@example.com\r\nTo: alice@lg.example.jp\r\nSubject: =?UTF-8?B?6KuL5rGC5pu444Gu5Lu2?=\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/html; charset=UTF-8\r\n\r\n<p>請求書は<a href=\"http://evil.example/pay\">こちら</a></p>\r\n"
	older, _ := hs.holdMessage(invoice, nil, "alice@lg.example.jp")
	recorded, _ := hs.holdMessage(strings.Replace(invoice, "Subject: =?UTF-8?B?6KuL5rGC5pu444Gu5Lu2?=", "Subject: x", 1),
		map[string]string{"subject": "請求書の再送"}, "alice@lg.example.jp")
	other, _ := hs.holdMailTo("shiryo.zip", readCorpus(t, "archive/zip-zipcrypto.zip"), "alice@lg.example.jp")

	bctx := startBrowser(t, t.TempDir(), 90*time.Second)
	browserLogin(t, bctx, hs.down, "dave", `nav a[href="/admin"]`)
	if err := chromedp.Do(bctx, chromedp.Navigate(hs.down+"/admin"), chromedp.WaitVisible("#renderer")); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"#renderer": "応答あり", "#office": "応答あり", "#ocr": "応答あり"}
	for tool, sel := range map[string]string{"soffice": "#office", "tesseract": "#ocr"} {
		if _, err := exec.LookPath(tool); err != nil {
			want[sel] = "応答なし" // not installed here: down, and why
		}
	}
	for sel, w := range want {
		if got, _ := chromedp.Run(bctx, chromedp.Text(sel)); !strings.HasPrefix(got, w) {
			t.Errorf("%s on the status page: %q, want %s", sel, got, w)
		}
	}
	screenshot(t, bctx, "admin-status.png")
	err = chromedp.Do(bctx,
		chromedp.Navigate(hs.down+"/admin/quarantine"),
		chromedp.WaitVisible("#q-subject"),
		chromedp.SendKeys("#q-subject", "請求書"),
		chromedp.Submit("#q-subject"),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, bctx, "the search's answer", `location.search.includes("subject=") && document.readyState === "complete"`)
	found := evalInt(t, bctx, `["`+older+`", "`+recorded+`", "`+other+`"].reduce((n, id) => n * 10 + document.querySelectorAll("tr#held-" + id).length, 0)`)
	if found != 110 {
		t.Errorf("the search by subject found the older, the recorded and another mail as %03d, want 110", found)
	}
	if subj, _ := chromedp.Run(bctx, chromedp.Text("tr#held-"+older+" td.subject")); subj != "請求書の件" {
		t.Errorf("the subject in the list: %q", subj)
	}
	err = chromedp.Do(bctx, chromedp.Click("#held-"+older+" a"), chromedp.WaitVisible("#notice-sent"))
	if err != nil {
		t.Fatal(err)
	}
	notice, _ := chromedp.Run(bctx, chromedp.Text("#notice-sent"))
	var rep sanitizer.Report
	it, rc, _ := hs.s.q.Get(ctx, older)
	rc.Close()
	json.Unmarshal(it.Report, &rep)
	if rep.Notice == "" || strings.Join(strings.Fields(notice), " ") != strings.Join(strings.Fields(rep.Notice), " ") || !strings.Contains(notice, "リンク（1件）") {
		t.Errorf("the notice on the item's page:\n%s\nwant the report's:\n%s", notice, rep.Notice)
	}
	screenshot(t, bctx, "admin-item.png")
}
