package transfer

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium (package "chromium").
const chromiumPath = "/usr/bin/chromium"

// TestBrowserUploadSanitizeDownload drives headless Chromium through the
// whole hand-over: log in on the upload site, drop a macro-enabled Word
// file and a PDF with JavaScript, choose a Japanese-named workbook, watch
// each reach 完了 and read its report; log in on the download site and
// fetch each file, which must be the sanitized output. Screenshots of
// both pages at 1366×768 go to testdata/screenshots/.
func TestBrowserUploadSanitizeDownload(t *testing.T) {
	dir := t.TempDir()
	bctx := startBrowser(t, dir, 80*time.Second)
	ts := startSite(t, Options{PlainHTTP: true, DownloadURL: "https://mugai.example.lg.jp:8081/"})

	files := map[string][]byte{
		"議事録.docm":   hostileDocm(t, "議事録の本文"),
		"report.pdf": jsPDF("Quarterly report"),
		"予算表.xlsx":   budgetXlsx(t, "令和8年度予算"),
	}
	paths := map[string]string{}
	for name, b := range files {
		paths[name] = filepath.Join(dir, name)
		if err := os.WriteFile(paths[name], b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// Upload site: two files dropped on the drop zone, one chosen.
	browserLogin(t, bctx, ts.up, "alice", "#dropzone")
	if err := chromedp.Do(bctx, chromedp.WaitVisible("#dropzone")); err != nil {
		t.Fatal(err)
	}
	center, err := chromedp.Run(bctx, chromedp.Evaluate[[]float64](`(() => { const r = document.getElementById("dropzone").getBoundingClientRect(); return [r.x + r.width/2, r.y + r.height/2]; })()`))
	if err != nil || len(center) != 2 {
		t.Fatalf("drop zone position: %v %v", center, err)
	}
	drop := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		data := &input.DragData{Items: []*input.DragDataItem{}, Files: []string{paths["議事録.docm"], paths["report.pdf"]}, DragOperationsMask: 1}
		for _, typ := range []input.DispatchDragEventType{input.DispatchDragEventTypeDragEnter, input.DispatchDragEventTypeDragOver, input.DispatchDragEventTypeDrop} {
			if _, err := cdp.Call(ctx, tg, input.DispatchDragEvent, input.DispatchDragEventParams{Type: typ, X: center[0], Y: center[1], Data: data}); err != nil {
				return err
			}
		}
		return nil
	})
	if err := chromedp.Do(bctx, drop,
		chromedp.SetUploadFiles("#files", []string{paths["予算表.xlsx"]}),
	); err != nil {
		t.Fatalf("dropping and choosing files: %v", err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](
		`document.querySelectorAll('#items li[data-state="done"]').length === 3 || document.querySelectorAll('#items li[data-state="withheld"], #items li[data-failed]').length > 0`,
		chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		text, _ := chromedp.Run(bctx, chromedp.Text("#items"))
		t.Fatalf("waiting for 完了: %v\n%s", err, text)
	}
	itemsText, err := chromedp.Run(bctx, chromedp.Text("#items"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"議事録.docm", "report.pdf", "予算表.xlsx", "完了", "除去したもの: マクロ ×1", "JavaScript ×1", "画像化PDFに変換", "マクロ・外部参照などを除いて作り直しました",
		"LGWAN 側の受け取り画面（https://mugai.example.lg.jp:8081/）からダウンロードできます"} {
		if !strings.Contains(itemsText, want) {
			t.Errorf("upload page lacks %q:\n%s", want, itemsText)
		}
	}
	if n, _ := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#items li.item").length`)); n != 3 {
		t.Errorf("the upload page lists %d rows for 3 files:\n%s", n, itemsText)
	}
	if n := strings.Count(itemsText, "完了"); n != 3 {
		t.Errorf("%d items 完了, want 3:\n%s", n, itemsText)
	}
	screenshot(t, bctx, "upload.png")
	const unlabeled = `Array.from(document.querySelectorAll("input:not([type=hidden]), button, a")).filter(e => !(e.labels && e.labels.length) && !e.textContent.trim() && !e.getAttribute("aria-label")).map(e => e.outerHTML)`
	if bad, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](unlabeled)); err != nil || len(bad) > 0 {
		t.Errorf("controls without a label: %v %v", bad, err)
	}

	// Download site.
	browserLogin(t, bctx, ts.down, "alice", "#downloads")
	type link struct{ Name, Href string }
	links, err := chromedp.Run(bctx, chromedp.Evaluate[[]link](`Array.from(document.querySelectorAll("table.files tbody tr")).map(tr => ({Name: tr.querySelector("td.name").textContent, Href: tr.querySelector("a.button").getAttribute("href")}))`))
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, bctx, "download.png")
	if len(links) != 3 {
		t.Fatalf("download list has %d files: %+v", len(links), links)
	}
	got := map[string][]byte{}
	for _, l := range links {
		b64, err := chromedp.Run(bctx, chromedp.Evaluate[string](fmt.Sprintf(`fetch(%q, {credentials: "same-origin"}).then(r => { if (!r.ok) throw new Error(r.status); return r.arrayBuffer(); }).then(b => { let s = ""; const u = new Uint8Array(b); for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]); return btoa(s); })`, l.Href), chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("downloading %s: %v", l.Name, err)
		}
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		got[l.Name] = b
	}
	// The bytes are the recorded sanitized outputs, not the uploads.
	outs := map[string]string{}
	items, _ := ts.s.uploadsOf(context.Background(), "alice", 10)
	for _, it := range items {
		for _, o := range it.Outputs {
			outs[o.Name] = o.SHA256
		}
	}
	for name, b := range got {
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != outs[name] {
			t.Errorf("%s: downloaded bytes are not the recorded output", name)
		}
		for _, in := range files {
			if bytes.Equal(in, b) {
				t.Errorf("%s: the upload was passed through unchanged", name)
			}
		}
	}
	checkOOXML(t, got["議事録.docx"], "word/document.xml", "議事録の本文")
	unlockPPAP(t, bctx, ts)
	checkOOXML(t, got["予算表.xlsx"], "xl/sharedStrings.xml", "令和8年度予算")
	pdf := got["report.pdf"]
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("report.pdf is not a PDF")
	}
	for _, bad := range []string{"/JavaScript", "/JS", "/OpenAction", "app.alert"} {
		if bytes.Contains(pdf, []byte(bad)) {
			t.Errorf("report.pdf still contains %s", bad)
		}
	}
}

// unlockPPAP uploads a password-protected zip (PPAP), sees it held with
// a password field, types a wrong password and sees the field again with
// the tries left, then types the right one and watches it reach 完了.
func unlockPPAP(t *testing.T, ctx context.Context, ts *testSite) {
	t.Helper()
	zip, err := os.ReadFile("../fixtures/corpus/archive/zip-zipcrypto.zip")
	if err != nil {
		t.Log("PPAP part skipped, fixture missing:", err)
		return
	}
	path := filepath.Join(t.TempDir(), "見積書.zip")
	if err := os.WriteFile(path, zip, 0o600); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.up+"/"),
		chromedp.WaitVisible("#dropzone"),
		chromedp.SetUploadFiles("#files", []string{path}),
		chromedp.WaitVisible(`#items li[data-state="held"] input[type="password"]`),
	)
	if err != nil {
		t.Fatalf("PPAP upload: %v", err)
	}
	held, _ := chromedp.Run(ctx, chromedp.Text(`#items li[data-state="held"]`))
	if !strings.Contains(held, "保留") || !strings.Contains(held, "パスワード") {
		t.Errorf("held item does not explain itself:\n%s", held)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(`#items li[data-state="held"] input[type="password"]`, "wrong password"),
		chromedp.Click(`#items li[data-state="held"] form.unlock button`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const li = document.querySelector('#items li[data-state="held"]'); return !!li && li.textContent.includes("パスワードが違います") && !!li.querySelector('input[type="password"]'); })()`,
		chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Text("#items"))
		t.Fatalf("after a wrong password the field is gone or unexplained: %v\n%s", err, text)
	}
	held, _ = chromedp.Run(ctx, chromedp.Text(`#items li[data-state="held"]`))
	if !strings.Contains(held, "あと 4 回") {
		t.Errorf("the tries left are not shown:\n%s", held)
	}
	screenshot(t, ctx, "upload-held.png")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(`#items li[data-state="held"] input[type="password"]`, "mugai"),
		chromedp.Click(`#items li[data-state="held"] form.unlock button`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const li = Array.from(document.querySelectorAll("#items li")).find(l => l.textContent.includes("見積書.zip")); return li && li.dataset.state === "done"; })()`,
		chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Text("#items"))
		t.Fatalf("PPAP after the password: %v\n%s", err, text)
	}
}

// browserLogin logs user in on the site at base and waits for the
// landing page's element.
func browserLogin(t *testing.T, bctx context.Context, base, user, landing string) {
	t.Helper()
	err := chromedp.Do(bctx,
		chromedp.EmulateViewport(1366, 768),
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible("#user"),
		chromedp.SendKeys("#user", user),
		chromedp.SendKeys("#password", testPassword),
		chromedp.Click("#login-button"),
	)
	if err == nil {
		wctx, wcancel := context.WithTimeout(bctx, 15*time.Second)
		err = chromedp.Do(wctx, chromedp.WaitVisible(landing))
		wcancel()
	}
	if err != nil {
		u, _ := chromedp.Run(bctx, chromedp.Location())
		body, _ := chromedp.Run(bctx, chromedp.Text("body"))
		t.Fatalf("login on %s: %v\nat %s:\n%s", base, err, u, body)
	}
	if u, _ := chromedp.Run(bctx, chromedp.Location()); strings.Contains(u, "/login") {
		t.Fatalf("still on the login page: %s", u)
	}
}

// startBrowser starts Debian's headless Chromium at 1366×768 with its
// profile in dir, for at most timeout; it skips the test when chromium
// is not installed or in -short mode.
func startBrowser(t *testing.T, dir string, timeout time.Duration) context.Context {
	t.Helper()
	exe, err := exec.LookPath(chromiumPath)
	if err != nil {
		t.Skip("chromium is not installed (Debian package chromium): ", err)
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("lang", "ja"),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(1366, 768),
	)...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	return bctx
}

// checkOOXML asserts a rebuilt document has no macros and kept its text.
func checkOOXML(t *testing.T, b []byte, part, text string) {
	t.Helper()
	if b == nil {
		t.Errorf("missing download for %s", part)
		return
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Errorf("%s: %v", part, err)
		return
	}
	found := false
	for _, f := range zr.File {
		if strings.Contains(strings.ToLower(f.Name), "vbaproject") {
			t.Errorf("%s survived", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Error(err)
			continue
		}
		c, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == "[Content_Types].xml" && bytes.Contains(c, []byte("macroEnabled")) {
			t.Errorf("content types still declare a macro-enabled part")
		}
		if f.Name == part && bytes.Contains(c, []byte(text)) {
			found = true
		}
	}
	if !found {
		t.Errorf("%s lost its text %q", part, text)
	}
}

// screenshot saves the viewport as PNG: into $MUGAI_ARTIFACTS when set
// (CI keeps that folder), into testdata/screenshots/ (the pictures the
// README shows) when MUGAI_UPDATE_SCREENSHOTS=1, else into a folder under
// the system temp folder, named in the test log.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	dir := filepath.Join(os.TempDir(), "mugai-artifacts")
	switch {
	case os.Getenv("MUGAI_ARTIFACTS") != "":
		dir = os.Getenv("MUGAI_ARTIFACTS")
	case os.Getenv("MUGAI_UPDATE_SCREENSHOTS") == "1":
		dir = filepath.Join("testdata", "screenshots")
	}
	defer t.Logf("screenshot %s saved in %s", name, dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
