package smtpproxy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/text/encoding/japanese"

	"github.com/mugai-project/mugai/internal/audit"
)

// The PPAP of the follow-up tests: a zip made by Info-ZIP's zip -P
// (ZipCrypto) around a Japanese text file, then a second mail with the
// password in the shape Japanese senders use.
const (
	followUpPassword = "Kx7-pq29"
	mitsumori        = "お見積書\r\n品名: 庁内ネットワーク保守\r\n金額: 1,200,000円\r\n"
)

// ppapZip zips mitsumori.txt with password pw by the zip command.
func ppapZip(t *testing.T, pw string) []byte {
	t.Helper()
	exe, err := exec.LookPath("zip")
	if err != nil {
		t.Skip("zip is not installed (Debian package zip)")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mitsumori.txt"), []byte(mitsumori), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "mitsumori.zip")
	if b, err := exec.Command(exe, "-q", "-j", "-P", pw, out, filepath.Join(dir, "mitsumori.txt")).CombinedOutput(); err != nil {
		t.Fatalf("zip -P: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ppapTo is a mail with zip attached to the recipients in the To field.
func ppapTo(to string, zip []byte) string {
	return "From: sender@example.com\r\nTo: " + to + "\r\nSubject: =?UTF-8?B?5b6h6KaL56mN5pu4?=\r\nMessage-ID: <ppap-fu@example.com>\r\n" +
		"Date: Thu, 03 Dec 2026 10:00:00 +0900\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nお見積書をお送りします。パスワードは別途お送りします。\r\n" +
		"--b1\r\nContent-Type: application/zip; name=\"mitsumori.zip\"\r\nContent-Disposition: attachment; filename=\"mitsumori.zip\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + b64(zip) + "--b1--\r\n"
}

// passwordMail is the follow-up: ISO-2022-JP, as many Japanese mail
// programs still send, with a full-width colon.
func passwordMail(t *testing.T, from, to, msgID, pw string) string {
	t.Helper()
	body, err := japanese.ISO2022JP.NewEncoder().String("お世話になっております。\r\n先ほどお送りしたファイルのパスワードをお知らせします。\r\n\r\nパスワード：" + pw + "\r\n\r\nよろしくお願いいたします。\r\n")
	if err != nil {
		t.Fatal(err)
	}
	return "From: " + from + "\r\nTo: " + to + "\r\nSubject: =?ISO-2022-JP?B?GyRCJVElOSVvITwlSRsoQg==?=\r\nMessage-ID: " + msgID + "\r\n" +
		"Date: Thu, 03 Dec 2026 10:01:00 +0900\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + body
}

// hintCount is how many password suggestions the page at u offers.
func hintCount(t *testing.T, bctx context.Context, u string) int {
	t.Helper()
	if err := chromedp.Do(bctx, chromedp.Navigate(u), chromedp.WaitVisible("#held-password")); err != nil {
		t.Fatalf("%s: %v", u, err)
	}
	n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("form.hint").length`))
	if err != nil {
		t.Fatalf("%s: %v", u, err)
	}
	return n
}

// TestHeldPasswordFromFollowUpMail: a PPAP zip to two recipients, then a
// mail from another sender with a password line, then the sender's own
// password mail to one of them. Only that recipient's page offers the
// password, never showing it; one click opens the zip and mails the
// sanitized contents through Postfix. The password is in no record.
func TestHeldPasswordFromFollowUpMail(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Postfix and Chromium")
	}
	pf := startPostfix(t)
	svc, base, data := heldServiceWith(t, pf.addr, "[process]\npassword_from_follow_up = true\n")
	bctx := startBrowser(t)
	zip := ppapZip(t, followUpPassword)
	sendTo(t, svc, []string{"user@lg.example.jp", "other@lg.example.jp"}, ppapTo("user@lg.example.jp, other@lg.example.jp", zip))
	tok := heldToken(t, pf)
	page := base + "/held/" + tok
	delivered := func(msgID string) {
		t.Helper()
		waitUntil(t, "the follow-up "+msgID, func() bool { return strings.Contains(strings.Join(pf.messages(t), "\n"), "Message-ID: "+msgID) })
	}
	sendFrom(t, svc, "someone@other.example.net", []string{"user@lg.example.jp"}, passwordMail(t, "someone@other.example.net", "user@lg.example.jp", "<fu-other@example.net>", "Other-pw-1"))
	delivered("<fu-other@example.net>")
	login(t, bctx, base, "user")
	if n := hintCount(t, bctx, page); n != 0 {
		t.Fatalf("a password mail from another sender is offered: %d", n)
	}
	sendTo(t, svc, []string{"user@lg.example.jp"}, passwordMail(t, "sender@example.com", "user@lg.example.jp", "<fu-1@example.com>", followUpPassword))
	delivered("<fu-1@example.com>")

	// other got the zip, not the password mail: nothing for them.
	login(t, bctx, base, "other")
	if n := hintCount(t, bctx, page); n != 0 {
		t.Errorf("the other recipient is offered the password mailed to user: %d", n)
	}
	login(t, bctx, base, "user")
	if n := hintCount(t, bctx, page); n != 1 {
		t.Fatalf("user's page offers %d passwords, want 1", n)
	}
	html, err := chromedp.Run(bctx, chromedp.OuterHTML("html"))
	if err != nil {
		t.Fatal(err)
	}
	hint, err := chromedp.Run(bctx, chromedp.Text("form.hint"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, followUpPassword) || !strings.Contains(hint, "sender@example.com") || !strings.Contains(hint, "パスワード") {
		t.Errorf("the suggestion shows the password or does not name its mail: %q", hint)
	}
	screenshot(t, bctx, "held-hint.png")
	before := len(pf.messages(t))
	err = chromedp.Do(bctx, chromedp.Click("form.hint button"), chromedp.WaitVisible(".notice"))
	notice, _ := chromedp.Run(bctx, chromedp.Text(".notice"))
	if err != nil || !strings.Contains(notice, "user@lg.example.jp") {
		t.Fatalf("one click on the suggestion: %q, %v", notice, err)
	}
	waitUntil(t, "the unlocked contents", func() bool { return len(pf.messages(t)) > before })
	var unlocked string
	for _, m := range pf.messages(t) {
		if strings.Contains(m, "In-Reply-To: <ppap-fu@example.com>") {
			unlocked = m
		}
	}
	if !strings.Contains(unlocked, "attachments=1-sanitized,0-removed,0-held") {
		t.Fatalf("the unlocked mail is not the rebuilt message:\n%.3000s", unlocked)
	}
	if got := zippedText(t, unlocked, "mitsumori.txt"); !strings.Contains(got, "庁内ネットワーク保守") {
		t.Errorf("the sanitized text in the rebuilt zip: %q", got)
	}
	if n := fetchStatus(t, bctx, "GET", "/held/"+tok+"/files/0"); n != 200 {
		t.Errorf("the unlocked zip on the page: %d", n)
	}
	// The password is in no record mugai keeps of its own (the original
	// of the follow-up mail is kept in the quarantine as any original).
	evs, err := svc.Sites.Audit().Events(context.Background(), audit.Filter{Action: audit.HeldUnlock})
	if err != nil || len(evs) != 1 || evs[0].Outcome != "ok" || !strings.Contains(evs[0].Detail, "later mail") {
		t.Errorf("the unlock's audit: %+v, %v", evs, err)
	}
	files, _ := filepath.Glob(filepath.Join(data, "mugai.db*"))
	audits, _ := filepath.Glob(filepath.Join(data, "audit", "*"))
	for _, f := range append(files, audits...) {
		if b, _ := os.ReadFile(f); bytes.Contains(b, []byte(followUpPassword)) {
			t.Errorf("the password is written in %s", f)
		}
	}
}

// zippedText is the file name in the zip attached to msg.
func zippedText(t *testing.T, msg, name string) string {
	t.Helper()
	for _, p := range decodedParts(t, msg) {
		zr, err := zip.NewReader(bytes.NewReader(p), int64(len(p)))
		if err != nil {
			continue
		}
		for _, f := range zr.File {
			if f.Name != name {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			return string(b)
		}
	}
	t.Fatalf("no zip with %s in the mail", name)
	return ""
}

// TestHeldPasswordFromFollowUpOffOrLate: with the option off (the
// default), or with the password mail outside the window, the page
// offers nothing: the recipient types the password.
func TestHeldPasswordFromFollowUpOffOrLate(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	bctx := startBrowser(t)
	zip := ppapZip(t, followUpPassword)
	for _, tc := range []struct{ name, config string }{
		{"off", ""},
		// The password mail is sent once the zip is delivered: later
		// than a millisecond after it.
		{"outside the window", "[process]\npassword_from_follow_up = true\nfollow_up_window = \"1ms\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, base, data := heldServiceWith(t, "", tc.config)
			box := filepath.Join(data, "maildir", "user@lg.example.jp", "new")
			mails := func() []string {
				ents, _ := os.ReadDir(box)
				var out []string
				for _, e := range ents {
					if b, err := os.ReadFile(filepath.Join(box, e.Name())); err == nil {
						out = append(out, string(b))
					}
				}
				return out
			}
			sendTo(t, svc, []string{"user@lg.example.jp"}, ppapTo("user@lg.example.jp", zip))
			waitUntil(t, "the sanitized zip mail", func() bool { return len(mails()) == 1 })
			tok := linkIn(t, mails()[0])
			sendTo(t, svc, []string{"user@lg.example.jp"}, passwordMail(t, "sender@example.com", "user@lg.example.jp", "<fu-late@example.com>", followUpPassword))
			waitUntil(t, "the password mail", func() bool { return len(mails()) == 2 })
			login(t, bctx, base, "user")
			if n := hintCount(t, bctx, base+"/held/"+tok); n != 0 {
				t.Errorf("%d passwords offered", n)
			}
		})
	}
}
