package transfer

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeVersion is the axe-core release the accessibility test runs.
const axeVersion = "4.10.3"

// axeSource returns axe-core's axe.min.js (MPL-2.0), installed with npm
// into a folder under the system temp folder the first time: it is a
// test tool, not part of mugai, so it is not committed. The test is
// skipped where npm is not installed.
func axeSource(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "mugai-axe-"+axeVersion)
	js := filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
	if _, err := os.Stat(js); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Skip("npm is not installed, so axe-core cannot be: ", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, npm, "install", "--prefix", dir, "--no-audit", "--no-fund", "--no-save", "axe-core@"+axeVersion).CombinedOutput()
		if err != nil {
			t.Fatalf("npm install axe-core@%s: %v\n%s", axeVersion, err, out)
		}
	}
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// axeViolation is one rule axe-core finds broken, with where.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// checkAxe runs axe-core on the page against WCAG 2.1 A and AA and fails
// on every serious or critical violation.
func checkAxe(t *testing.T, ctx context.Context, axe, page string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axe+";true")); err != nil {
		t.Fatalf("%s: injecting axe-core: %v", page, err)
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}).then(r => JSON.stringify({violations: r.violations, checked: r.passes.concat(r.incomplete, r.violations).map(x => x.id)}))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe.run: %v", page, err)
	}
	var r struct {
		Violations []axeViolation `json:"violations"`
		Checked    []string       `json:"checked"`
	}
	if err := json.Unmarshal([]byte(res), &r); err != nil {
		t.Fatal(err)
	}
	// The rules that matter most here did run.
	for _, rule := range []string{"color-contrast", "document-title", "html-has-lang", "bypass"} {
		if !slices.Contains(r.Checked, rule) {
			t.Errorf("%s: axe-core did not check %s (checked %v)", page, rule, r.Checked)
		}
	}
	t.Logf("%s: axe-core checked %d rules, %d broken", page, len(r.Checked), len(r.Violations))
	for _, v := range r.Violations {
		if v.Impact != "serious" && v.Impact != "critical" {
			t.Logf("%s: %s (%s): %s", page, v.ID, v.Impact, v.Help)
			continue
		}
		for _, n := range v.Nodes {
			t.Errorf("%s: %s (%s): %s at %v\n%s", page, v.ID, v.Impact, v.Help, n.Target, n.Summary)
		}
	}
}

// tabStops presses Tab n times from the top of the page and returns the
// focused element each time, as "tag#id" or "tag.class".
func tabStops(t *testing.T, ctx context.Context, n int) []string {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); true`)); err != nil {
		t.Fatal(err)
	}
	var out []string
	for range n {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(keyTab)); err != nil {
			t.Fatal(err)
		}
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : e.className ? "." + e.className.split(" ")[0] : ""))(document.activeElement)`))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// logout presses the page's logout button and waits for the login page.
func logout(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(`form[action="/logout"] button`), chromedp.WaitVisible("#user")); err != nil {
		t.Fatalf("logout: %v", err)
	}
}

// TestBrowserAccessibility runs axe-core on the login, upload, approval,
// download and administration pages with items in their lists, and walks the upload
// page by keyboard: the skip link comes first and shows, and Tab reaches
// the file chooser, the search, the paging and a held file's password.
func TestBrowserAccessibility(t *testing.T) {
	ts := startSite(t, Options{PlainHTTP: true, Approval: true})
	axe := axeSource(t)
	alice := ts.newClient(ts.up).login("alice")
	alice.purpose = "会議資料の共有"
	ts.addItems("alice", "memo", 55, Withheld)
	ts.uploadOne(alice, "bob", "議事録.docm", hostileDocm(t, "議事録の本文")) // left pending
	approved := ts.uploadOne(alice, "bob", "予算表.xlsx", budgetXlsx(t, "令和8年度予算"))
	if zip, err := os.ReadFile("../fixtures/corpus/archive/zip-zipcrypto.zip"); err == nil {
		ts.uploadOne(alice, "", "見積書.zip", zip)
	}
	carol := ts.newClient(ts.up).login("carol")
	if resp, b := carol.postForm("/approvals/"+approved.ID, url.Values{"csrf": {carol.csrf}, "decision": {"approve"}}); resp.StatusCode >= 400 {
		t.Fatalf("approve: %d %s", resp.StatusCode, b)
	}

	bctx := startBrowser(t, t.TempDir(), 150*time.Second)
	if err := chromedp.Do(bctx, chromedp.Navigate(ts.up+"/login"), chromedp.WaitVisible("#user")); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, bctx, axe, "login")

	browserLogin(t, bctx, ts.up, "alice", "#dropzone")
	waitFor(t, bctx, "the live list", `!document.getElementById("live-on").hidden`)
	checkAxe(t, bctx, axe, "upload")
	stops := tabStops(t, bctx, 40)
	if stops[0] != "a.skip" {
		t.Errorf("the first Tab stop is %s, want the skip link", stops[0])
	}
	// The search unfolds with Enter on its summary.
	if err := chromedp.Do(bctx, chromedp.Focus("details.search-box summary"), chromedp.KeyEvent(keyEnter)); err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(append(stops, tabStops(t, bctx, 40)...), " ")
	for _, want := range []string{"input#files", "input#to", "summary", "input#q-name", "select#q-status", "select#q-sort", "a" /* the next page */} {
		if !strings.Contains(joined, want) {
			t.Errorf("Tab never reaches %s: %s", want, joined)
		}
	}
	if !strings.Contains(joined, "input#pw-") && strings.Contains(joined, "見積書") {
		t.Errorf("Tab never reaches the held file's password: %s", joined)
	}
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.activeElement.blur(); true`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.KeyEvent(keyTab)); err != nil {
		t.Fatal(err)
	}
	if left := evalInt(t, bctx, `Math.round(document.activeElement.getBoundingClientRect().left)`); left < 0 {
		t.Errorf("the focused skip link is off screen (left %d)", left)
	}

	logout(t, bctx)
	browserLogin(t, bctx, ts.up, "carol", `nav a[href="/approvals"]`)
	if err := chromedp.Do(bctx, chromedp.Navigate(ts.up+"/approvals"), chromedp.WaitVisible("#main")); err != nil {
		t.Fatal(err)
	}
	if txt, _ := chromedp.Run(bctx, chromedp.Text("#main")); !strings.Contains(txt, "議事録.docm") {
		t.Errorf("the approval page lacks the pending file:\n%s", txt)
	}
	checkAxe(t, bctx, axe, "approvals")

	browserLogin(t, bctx, ts.down, "bob", "#downloads")
	waitFor(t, bctx, "the live list", `!document.getElementById("live-on").hidden`)
	checkAxe(t, bctx, axe, "download")
	if err := chromedp.Do(bctx, chromedp.Navigate(ts.down+"/lang?to=en"), chromedp.WaitVisible("#downloads")); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, bctx, axe, "download (English)")
	if err := chromedp.Do(bctx, chromedp.Navigate(ts.down+"/lang?to=ja"), chromedp.WaitVisible("#downloads")); err != nil {
		t.Fatal(err)
	}
	checkAdminAxe(t, bctx, ts, axe)
}
