package transfer

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserLoginLockedFromOneAddress: wrong passwords for alice typed
// on another machine do not keep alice out at her own desk; the machine
// that typed wrong passwords is told it is paused, and until when.
func TestBrowserLoginLockedFromOneAddress(t *testing.T) {
	bctx := startBrowser(t, t.TempDir(), 60*time.Second)
	ts := startSite(t, Options{PlainHTTP: true})
	attacker := ts.newClientFrom(ts.up, "127.0.0.2")
	for range 5 {
		attacker.tryLogin("alice", "guess")
	}
	browserLogin(t, bctx, ts.up, "alice", "#dropzone")
	if err := chromedp.Do(bctx, chromedp.Click(`header form.inline button`), chromedp.WaitVisible("#user")); err != nil {
		t.Fatalf("logout: %v", err)
	}
	// Now this browser guesses bob's password five times.
	for range 5 {
		err := chromedp.Do(bctx,
			chromedp.Navigate(ts.up+"/login"),
			chromedp.WaitVisible("#user"),
			chromedp.SendKeys("#user", "bob"),
			chromedp.SendKeys("#password", "guess"),
			chromedp.Click("#login-button"),
			chromedp.WaitVisible("p.error"),
		)
		if err != nil {
			t.Fatal(err)
		}
	}
	msg, err := chromedp.Run(bctx, chromedp.Text("p.error"))
	if err != nil {
		t.Fatal(err)
	}
	until := ts.clock.Now().Add(15 * time.Minute).Local().Format("15:04")
	if !strings.Contains(msg, "一時的に止めています") || !strings.Contains(msg, until) {
		t.Errorf("the locked login says %q, want that it is paused until %s", msg, until)
	}
	screenshot(t, bctx, "login-locked.png")
}

// TestBrowserApprovalReview: the approver sees the report, the
// recipients, the purpose and a preview of each sanitized file, is not
// offered their own upload, gets the page back with a message when a
// rejection lacks its reason, and the uploader reads the reason.
func TestBrowserApprovalReview(t *testing.T) {
	bctx := startBrowser(t, t.TempDir(), 90*time.Second)
	ts := startSite(t, Options{PlainHTTP: true, Approval: true})
	alice := ts.newClient(ts.up).login("alice")
	alice.purpose = "第3四半期の報告書を財政課と共有するため"
	pdf := ts.uploadOne(alice, "bob", "report.pdf", jsPDF("Quarterly report"))
	ts.uploadOne(alice, "bob", "資料.zip", zipOf(t, "一覧.txt", plainText, "メモ.txt", plainText))
	carol := ts.newClient(ts.up).login("carol")
	carol.purpose = "自分の資料"
	ts.uploadOne(carol, "", "carol-own.txt", []byte(plainText))

	browserLogin(t, bctx, ts.up, "carol", "#dropzone")
	if err := chromedp.Do(bctx, chromedp.Navigate(ts.up+"/approvals"), chromedp.WaitVisible("li.approval")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`Array.from(document.querySelectorAll(".preview img")).every(i => i.complete && i.naturalWidth > 100) && document.querySelectorAll(".preview img").length === 1`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Errorf("the PDF's preview picture did not load: %v", err)
	}
	text, _ := chromedp.Run(bctx, chromedp.Text("main"))
	for _, want := range []string{"report.pdf", "資料.zip", "第3四半期の報告書を財政課と共有するため", "bob", "画像化PDFに変換", "一覧.txt", "メモ.txt", "差し戻しの理由"} {
		if !strings.Contains(text, want) {
			t.Errorf("the approval page lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "carol-own.txt") {
		t.Error("the approver is offered her own upload")
	}
	screenshot(t, bctx, "approvals.png")

	// 差し戻し without a reason: the page again, with the message.
	sel := `#approval-` + pdf.ID
	if err := chromedp.Do(bctx, chromedp.Click(sel+` button[value="reject"]`), chromedp.WaitVisible(`p.error`)); err != nil {
		t.Fatal(err)
	}
	msg, _ := chromedp.Run(bctx, chromedp.Text("p.error"))
	if !strings.Contains(msg, "理由を入力してください") {
		t.Errorf("rejecting without a reason says %q", msg)
	}
	if n, _ := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("header, li.approval").length`)); n < 3 {
		t.Errorf("the refusal is not the approval page (%d header and items)", n)
	}
	err := chromedp.Do(bctx,
		chromedp.SendKeys(sel+` textarea`, "宛先に財政課を加えてください"),
		chromedp.Click(sel+` button[value="reject"]`),
		chromedp.WaitVisible(`p.notice`),
	)
	if err != nil {
		t.Fatal(err)
	}

	// The uploader reads the reason.
	if err := chromedp.Do(bctx, chromedp.Click(`header form.inline button`), chromedp.WaitVisible("#user")); err != nil {
		t.Fatalf("logout: %v", err)
	}
	browserLogin(t, bctx, ts.up, "alice", "#dropzone")
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.querySelector("#items").textContent.includes("上長が差し戻しました。理由: 宛先に財政課を加えてください")`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		items, _ := chromedp.Run(bctx, chromedp.Text("#items"))
		t.Errorf("the uploader does not see the reason: %v\n%s", err, items)
	}
}
