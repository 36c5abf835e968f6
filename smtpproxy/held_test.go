package smtpproxy_test

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-smtp"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/app/apptest"
	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/internal/freeport"
)

const heldPassword = "a long test password"

// heldService starts mugai as mugai serve does, delivering to pf, with
// the download site on a loopback port; it returns the service and the
// download site's address.
func heldService(t *testing.T, pf *postfixMTA) (*app.Service, string) {
	t.Helper()
	svc, base, _ := heldServiceWith(t, pf.addr, "")
	return svc, base
}

// heldServiceWith is heldService delivering to relay ("": into the data
// folder's Maildir) with the configuration text extra after the rest;
// it also returns the data folder.
func heldServiceWith(t *testing.T, relay, extra string) (svc *app.Service, base, data string) {
	t.Helper()
	dir := t.TempDir()
	down := fmt.Sprintf("127.0.0.1:%d", freeport.Port(t))
	cfg := fmt.Sprintf(`data_dir = %q
[smtp]
listen = "127.0.0.1:0"
hostname = "mugai.test"
domains = ["lg.example.jp"]
[deliver]
relay = %q
[web]
upload_listen = "127.0.0.1:%d"
download_listen = %q
plain_http = true
download_url = "https://dl.lg.example.jp"
`, filepath.Join(dir, "data"), relay, freeport.Port(t), down) + extra
	svc = apptest.Start(t, cfg)
	for _, u := range []auth.User{{Name: "user", Role: auth.RoleUser}, {Name: "other", Role: auth.RoleUser}, {Name: "stranger", Role: auth.RoleUser}, {Name: "boss", Role: auth.RoleApprover}} {
		if err := svc.Sites.Users().Add(context.Background(), u, heldPassword); err != nil {
			t.Fatal(err)
		}
	}
	return svc, "http://" + down, filepath.Join(dir, "data")
}

// ppapMail is a mail to rcpts with a ZipCrypto zip (password "mugai")
// holding a PDF with JavaScript.
func ppapMail(t *testing.T, zip []byte) string {
	return "From: sender@example.com\r\nTo: user@lg.example.jp\r\nSubject: =?UTF-8?B?" +
		"5Lya6K2w6LOH5paZ?=\r\nMessage-ID: <ppap-1@example.com>\r\nDate: Thu, 03 Dec 2026 10:00:00 +0900\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nPlease see the attachment.\r\n" +
		"--b1\r\nContent-Type: application/zip; name=\"shiryo.zip\"\r\nContent-Disposition: attachment; filename=\"shiryo.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		b64(zip) + "--b1--\r\n"
}

// sendTo hands msg from sender@example.com to mugai's SMTP listener.
func sendTo(t *testing.T, svc *app.Service, rcpts []string, msg string) {
	t.Helper()
	sendFrom(t, svc, "sender@example.com", rcpts, msg)
}

// sendFrom hands msg with the envelope sender from to mugai's SMTP
// listener.
func sendFrom(t *testing.T, svc *app.Service, from string, rcpts []string, msg string) {
	t.Helper()
	c, err := smtp.Dial(svc.Relay.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail(from, rcpts, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
}

var heldLink = regexp.MustCompile(`https://dl\.lg\.example\.jp/held/([A-Za-z0-9_.-]+)`)

// heldToken waits for the sanitized message in Postfix's mailbox and
// takes the held-item link from its notice.
func heldToken(t *testing.T, pf *postfixMTA) string {
	t.Helper()
	waitUntil(t, "the sanitized message", func() bool { return len(pf.messages(t)) >= 1 })
	return linkIn(t, pf.messages(t)[0])
}

// linkIn takes the held-item link from the notice of a delivered
// message.
func linkIn(t *testing.T, got string) string {
	t.Helper()
	for _, p := range decodedParts(t, got) {
		if m := heldLink.FindSubmatch(p); m != nil {
			return string(m[1])
		}
	}
	t.Fatalf("no held-item link in the notice:\n%s", got)
	return ""
}

func TestHeldPPAPUnlockedInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Postfix, Chromium and the PDF renderer")
	}
	pf := startPostfix(t)
	zip := readFixture(t, "archive/zip-zipcrypto.zip")
	svc, base := heldService(t, pf)
	bctx := startBrowser(t)
	sendTo(t, svc, []string{"user@lg.example.jp"}, ppapMail(t, zip))
	tok := heldToken(t, pf)

	login(t, bctx, base, "user")
	page := base + "/held/" + tok
	if err := chromedp.Do(bctx, chromedp.Navigate(page), chromedp.WaitVisible("#held-password")); err != nil {
		t.Fatalf("the held page has no password field: %v", err)
	}
	screenshot(t, bctx, "held.png")
	err := chromedp.Do(bctx,
		chromedp.SendKeys("#held-password", "wrong"),
		chromedp.Submit("#held-password"),
		chromedp.WaitVisible(".error"),
	)
	msg, _ := chromedp.Run(bctx, chromedp.Text(".error"))
	if err != nil || !strings.Contains(msg, "パスワードが違います") {
		t.Fatalf("a wrong password: %q, %v", msg, err)
	}
	err = chromedp.Do(bctx,
		chromedp.WaitVisible("#held-password"),
		chromedp.SendKeys("#held-password", "mugai"),
		chromedp.Submit("#held-password"),
		chromedp.WaitVisible(".notice"),
	)
	msg, _ = chromedp.Run(bctx, chromedp.Text(".notice"))
	if err != nil || !strings.Contains(msg, "user@lg.example.jp") {
		t.Fatalf("the right password: %q, %v", msg, err)
	}
	screenshot(t, bctx, "held-unlocked.png")
	// The page now offers the sanitized contents for download.
	fileURL := page + "/files/0"
	got, err := chromedp.Run(bctx, chromedp.Evaluate[[]int](`fetch("/held/`+tok+`/files/0").then(r => r.arrayBuffer().then(b => [r.status, b.byteLength, new Uint8Array(b)[0], new Uint8Array(b)[1]]))`, chromedp.EvalAwaitPromise))
	if err != nil || len(got) != 4 || got[0] != 200 || got[2] != 'P' || got[3] != 'K' {
		t.Errorf("the unlocked zip from the page: %v, %v", got, err)
	}
	waitUntil(t, "the unlocked contents as a new mail", func() bool { return len(pf.messages(t)) == 2 })
	var unlocked string
	for _, m := range pf.messages(t) {
		if strings.Contains(m, "In-Reply-To") {
			unlocked = m
		}
	}
	if unlocked == "" {
		t.Fatalf("no threaded mail among:\n%s", strings.Join(pf.messages(t), "\n----\n"))
	}
	if m, err := mail.ReadMessage(strings.NewReader(unlocked)); err != nil {
		t.Error(err)
	} else if subj, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); !strings.Contains(subj, "会議資料") {
		t.Errorf("the unlocked mail's subject: %q", subj)
	}
	// The zip rebuilt by mugai from its sanitized contents; nothing held.
	if !strings.Contains(unlocked, "attachments=1-sanitized,0-removed,0-held") || !strings.Contains(unlocked, "In-Reply-To: <ppap-1@example.com>") {
		t.Errorf("the unlocked mail is not the rebuilt message, threaded:\n%.3000s", unlocked)
	}
	for _, m := range pf.messages(t) {
		for i, p := range decodedParts(t, m) {
			if bytes.Contains(p, zip[:200]) || bytes.Contains(p, []byte("/JavaScript")) {
				t.Errorf("part %d of a delivered mail carries the zip's bytes or its script", i)
			}
		}
		if strings.Contains(m, "mugai\r\n") && strings.Contains(m, "password") {
			t.Error("the password reached a mail")
		}
	}
	// Another user, a forged link: nothing.
	login(t, bctx, base, "other")
	for _, u := range []string{page, fileURL, page[:len(page)-2] + "AA", base + "/held/nothing", base + "/held/" + strings.Repeat("A", 43)} {
		got, err := chromedp.Run(bctx, chromedp.Evaluate[[]any](`fetch("`+u+`").then(r => r.text().then(b => [r.status, b]))`, chromedp.EvalAwaitPromise))
		if err != nil || len(got) != 2 {
			t.Fatalf("%s: %v", u, err)
		}
		body, _ := got[1].(string)
		if got[0] != float64(404) || strings.Contains(body, "shiryo") || strings.Contains(body, "sender@example.com") {
			t.Errorf("%s shown to another user: %v %.300q", u, got[0], body)
		}
	}
}

func TestHeldOriginalRequestApproved(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Postfix, Chromium and the PDF renderer")
	}
	pf := startPostfix(t)
	zip := readFixture(t, "archive/zip-zipcrypto.zip")
	svc, base := heldService(t, pf)
	bctx := startBrowser(t)
	sendTo(t, svc, []string{"user@lg.example.jp", "other@lg.example.jp", "boss@lg.example.jp"}, ppapMail(t, zip))
	tok := heldToken(t, pf)
	page := base + "/held/" + tok

	// Someone the mail was not sent to can neither see nor ask.
	login(t, bctx, base, "stranger")
	if st := fetchStatus(t, bctx, "GET", page); st != 404 {
		t.Errorf("a stranger's GET: %d, want 404", st)
	}
	if st := fetchStatus(t, bctx, "POST", page+"/request"); st != 404 {
		t.Errorf("a stranger's request: %d, want 404", st)
	}

	login(t, bctx, base, "user")
	requestOriginal(t, bctx, page, "契約書の原本確認のため")
	screenshot(t, bctx, "held-requested.png")
	waitUntil(t, "the approver's notification", func() bool { return mailTo(t, pf, "boss@lg.example.jp") != "" })
	if n := mailTo(t, pf, "boss@lg.example.jp"); strings.Contains(n, b64(zip)[:76]) {
		t.Error("the notification carries content")
	}

	// The approver asks too, and cannot approve their own request.
	login(t, bctx, base, "boss")
	requestOriginal(t, bctx, page, "監査のため")
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/held-requests"), chromedp.WaitVisible(".decide")); err != nil {
		t.Fatal(err)
	}
	screenshot(t, bctx, "held-requests.png")
	decide(t, bctx, "boss", "approve")
	if msg, _ := chromedp.Run(bctx, chromedp.Text(".error")); !strings.Contains(msg, "ご自分の申請は承認できません") {
		t.Errorf("self-approval: %q", msg)
	}
	decide(t, bctx, "user", "approve")
	if msg, _ := chromedp.Run(bctx, chromedp.Text(".notice")); !strings.Contains(msg, "user@lg.example.jp") {
		t.Fatalf("approve: %q", msg)
	}
	waitUntil(t, "the released original", func() bool { return strings.Contains(mailTo(t, pf, "user@lg.example.jp"), "X-Mugai-Released-By: boss") })
	waitUntil(t, "the decision to the requester", func() bool {
		// the sanitized message, the original, the decision
		return strings.Count(mailTo(t, pf, "user@lg.example.jp"), "X-Original-To: ") == 3
	})
	for _, rc := range []string{"other@lg.example.jp", "boss@lg.example.jp"} {
		if strings.Contains(mailTo(t, pf, rc), "X-Mugai-Released-By") {
			t.Errorf("the original reached %s, who was not approved", rc)
		}
	}

	// mugai audit export: every step.
	var csv bytes.Buffer
	if err := svc.Sites.Audit().Export(context.Background(), &csv, audit.Filter{}, "csv"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"held-request,", "held-notify,", "self-approval-refused", "held-approve,", "held-release,"} {
		if !strings.Contains(csv.String(), want) {
			t.Errorf("the audit export lacks %s:\n%s", want, csv.String())
		}
	}
}

// fetchStatus makes a request from the page, with the session's CSRF
// token on a POST, and returns the status.
func fetchStatus(t *testing.T, bctx context.Context, method, u string) int {
	t.Helper()
	st, err := chromedp.Run(bctx, chromedp.Evaluate[int](`(() => {
		const csrf = document.querySelector('input[name="csrf"]')?.value || "";
		const body = new URLSearchParams({csrf: csrf, reason: "x"});
		return fetch("`+u+`", {method: "`+method+`", body: "`+method+`" === "POST" ? body : undefined}).then(r => r.status);
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	return st
}

// requestOriginal asks for the original on the held page.
func requestOriginal(t *testing.T, bctx context.Context, page, reason string) {
	t.Helper()
	err := chromedp.Do(bctx, chromedp.Navigate(page), chromedp.WaitVisible("#held-reason"),
		chromedp.SendKeys("#held-reason", reason), chromedp.Submit("#held-reason"), chromedp.WaitVisible(".notice"))
	msg, _ := chromedp.Run(bctx, chromedp.Text(".notice"))
	if err != nil || !strings.Contains(msg, "申請しました") {
		t.Fatalf("request: %q, %v", msg, err)
	}
}

// decide presses the button of the request by requester on the
// approver's page.
func decide(t *testing.T, bctx context.Context, requester, decision string) {
	t.Helper()
	ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`(() => {
		for (const li of document.querySelectorAll("li.approval")) {
			if (li.querySelector(".requester").textContent.startsWith("`+requester+` ")) {
				li.querySelector("textarea").value = "確認しました";
				li.querySelector('button[value="`+decision+`"]').click();
				return true;
			}
		}
		return false;
	})()`))
	if err != nil || !ok {
		t.Fatalf("no request by %s to %s: %v", requester, decision, err)
	}
	if err := chromedp.Do(bctx, chromedp.WaitVisible(`[role="alert"], [role="status"]`)); err != nil {
		t.Fatal(err)
	}
}

// mailTo is the mails in Postfix's mailbox addressed to rcpt, joined.
func mailTo(t *testing.T, pf *postfixMTA, rcpt string) string {
	var out []string
	for _, m := range pf.messages(t) {
		if strings.Contains(m, "X-Original-To: "+rcpt+"\n") {
			out = append(out, m)
		}
	}
	return strings.Join(out, "\n----\n")
}

// startBrowser starts Debian's headless Chromium at 1366×768; it skips
// the test when chromium is not installed.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	exe, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (Debian package chromium): ", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("lang", "ja"),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")), chromedp.WindowSize(1366, 768),
	)...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	return bctx
}

// login signs user in on the download site at base, ending any session
// the browser had.
func login(t *testing.T, bctx context.Context, base, user string) {
	t.Helper()
	// A session open in the browser ends first (the logout form).
	chromedp.Do(bctx, chromedp.Navigate(base+"/"))
	chromedp.Run(bctx, chromedp.Evaluate[bool](`(() => { const f = document.querySelector('form[action="/logout"]'); if (f) { f.submit(); } return !!f; })()`))
	chromedp.Do(bctx, chromedp.WaitVisible("#user"))
	err := chromedp.Do(bctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible("#user"),
		chromedp.SendKeys("#user", user),
		chromedp.SendKeys("#password", heldPassword),
		chromedp.Click("#login-button"),
		chromedp.WaitNotPresent("#login-button"),
	)
	if err != nil {
		t.Fatalf("login as %s: %v", user, err)
	}
}

// screenshot saves the page into $MUGAI_ARTIFACTS (or
// /tmp/mugai-artifacts) and, with MUGAI_UPDATE_SCREENSHOTS=1, into
// transfer/testdata/screenshots for the README.
func screenshot(t *testing.T, bctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	dir := os.Getenv("MUGAI_ARTIFACTS")
	if dir == "" {
		dir = "/tmp/mugai-artifacts"
	}
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, name), png, 0o644)
	if os.Getenv("MUGAI_UPDATE_SCREENSHOTS") == "1" {
		os.WriteFile(filepath.Join("..", "transfer", "testdata", "screenshots", name), png, 0o644)
	}
}
