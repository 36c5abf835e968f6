package transfer

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mugai-project/mugai/internal/auth"
)

// pageBytes runs a script in the page that resolves to an ArrayBuffer
// and returns its bytes.
func pageBytes(t *testing.T, ctx context.Context, script string) []byte {
	t.Helper()
	b64, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(`+script+`).then(b => { let s = ""; const u = new Uint8Array(b); for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]); return btoa(s); })`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("in the page: %v", err)
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The keys a keyboard user presses, as chromedp.KeyEvent types them.
const (
	keyEnter = "\r"
	keyTab   = "\t"
	keySpace = " "
)

// waitFor waits until cond holds in the page, across navigations.
func waitFor(t *testing.T, ctx context.Context, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			body, _ := chromedp.Run(ctx, chromedp.Text("main"))
			t.Fatalf("waiting for %s: %v\n%s", what, err, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func evalInt(t *testing.T, ctx context.Context, js string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](js))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBrowserHistoryAndZip drives the download site by keyboard: a
// history longer than a page, searched by name, paged, sorted; two files
// ticked and taken as one zip, whose entries are the reports' sanitized
// outputs; the rows then show 「ダウンロード済み」 and a file sent meanwhile
// appears at the top, both without reloading (server-sent events). The
// sender shows by display name.
func TestBrowserHistoryAndZip(t *testing.T) {
	ts := startSite(t, Options{PlainHTTP: true})
	ctx := context.Background()
	if err := ts.s.Users().Add(ctx, auth.User{Name: "dave", DisplayName: "山田 太郎"}, testPassword); err != nil {
		t.Fatal(err)
	}
	ts.addItems("alice", "memo", 60, Expired)
	dave := ts.newClient(ts.up).login("dave")
	uploads := map[string][]byte{"予算表.xlsx": budgetXlsx(t, "令和8年度予算"), "議事録.docm": hostileDocm(t, "議事録の本文")}
	var items []*Item
	for name, b := range uploads {
		items = append(items, ts.uploadOne(dave, "alice", name, b))
	}

	bctx := startBrowser(t, t.TempDir(), 120*time.Second)
	browserLogin(t, bctx, ts.down, "alice", "#downloads")
	if n := evalInt(t, bctx, `document.querySelectorAll("table.files tbody").length`); n != historyPageSize {
		t.Errorf("page 1 shows %d items, want %d", n, historyPageSize)
	}
	count, _ := chromedp.Run(bctx, chromedp.Text("#list-count"))
	if count != "全62件のうち 1〜50件目" {
		t.Errorf("count %q", count)
	}
	from, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector("table.files tbody td:nth-child(5)").textContent`))
	if from != "山田 太郎" {
		t.Errorf("sender shown as %q, want the display name", from)
	}

	// Next page, by keyboard.
	if err := chromedp.Do(bctx, chromedp.Focus(`a[rel="next"]`), chromedp.KeyEvent(keyEnter)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, bctx, "page 2", `location.search.includes("page=2") && document.querySelectorAll("table.files tbody").length === 12`)
	// Search by name, typed and sent with Enter.
	if err := chromedp.Do(bctx, chromedp.Focus("#q-name"), chromedp.KeyEvent("予算"), chromedp.KeyEvent(keyEnter)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, bctx, "the search", `location.search.includes("name=") && document.querySelectorAll("table.files tbody").length === 1`)
	if name, _ := chromedp.Run(bctx, chromedp.Text("table.files tbody td.name")); name != "予算表.xlsx" {
		t.Errorf("search found %q", name)
	}
	// Oldest first.
	if err := chromedp.Do(bctx, chromedp.Navigate(ts.down+"/"), chromedp.WaitVisible("#q-sort"),
		chromedp.SetValue("#q-sort", "old"), chromedp.Focus("#q-name"), chromedp.KeyEvent(keyEnter)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, bctx, "oldest first", `location.search.includes("sort=old")`)
	if name, _ := chromedp.Run(bctx, chromedp.Text("table.files tbody td.name")); name != "memo-000.txt" {
		t.Errorf("oldest first starts with %q", name)
	}

	// Tick both files with the space bar and take them as one zip.
	if err := chromedp.Do(bctx, chromedp.Navigate(ts.down+"/"), chromedp.WaitVisible("#downloads")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, bctx, "the live list", `!document.getElementById("live-on").hidden`)
	for _, it := range items {
		for _, v := range selection(it) {
			if err := chromedp.Do(bctx, chromedp.Focus(`input[name="f"][value="`+v+`"]`), chromedp.KeyEvent(keySpace)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := evalInt(t, bctx, `document.querySelectorAll('input[name="f"]:checked').length`); n != 2 {
		t.Fatalf("%d files ticked", n)
	}
	body := pageBytes(t, bctx, `fetch("/files/zip", {method: "POST", body: new URLSearchParams(new FormData(document.getElementById("bulk"))), credentials: "same-origin"}).then(r => { if (!r.ok) throw new Error(r.status); return r.arrayBuffer(); })`)
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, it := range items {
		for _, o := range it.Report.Outputs {
			want[o.Name] = o.SHA256
		}
	}
	if len(zr.File) != len(want) {
		t.Errorf("%d entries, want %d", len(zr.File), len(want))
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		sum := sha256.Sum256(b)
		if want[f.Name] == "" || hex.EncodeToString(sum[:]) != want[f.Name] {
			t.Errorf("%s: not the report's output %s", f.Name, want[f.Name])
		}
		if f.Flags&zipEFS == 0 {
			t.Errorf("%s: no UTF-8 flag", f.Name)
		}
	}
	waitFor(t, bctx, "the marks", `Array.from(document.querySelectorAll("table.files tbody")).slice(0, 2).every(tb => tb.textContent.includes("ダウンロード済み"))`)

	// A file sent now appears at the top.
	ts.clock.Add(time.Minute)
	late := ts.uploadOne(dave, "alice", "追加資料.txt", []byte("追加の資料です\n"))
	waitFor(t, bctx, "the new file", `document.querySelector("table.files tbody").id === "item-`+late.ID+`"`)
	if err := chromedp.Do(bctx, chromedp.ScrollIntoView("#list-count")); err != nil {
		t.Fatal(err)
	}
	screenshot(t, bctx, "download-history.png")
	if n := evalInt(t, bctx, `document.querySelectorAll("table.files tbody").length`); n != historyPageSize {
		t.Errorf("after the new file the page shows %d items", n)
	}
	if c, _ := chromedp.Run(bctx, chromedp.Text("#list-count")); !strings.Contains(c, "全63件") {
		t.Errorf("count %q after the new file", c)
	}
}
