package transfer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/internal/held"
	"github.com/mugai-project/mugai/internal/ids"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/meta/metatest"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/smtpproxy"
)

// heldSite is a site with held-item pages whose mails go into a real
// relay's outbox (not delivered: the test reads the outbox).
type heldSite struct {
	*testSite
	links  *held.Links
	outbox string
}

// startHeldSite starts the site; never are Options.NeverRelease.
func startHeldSite(t *testing.T, never ...string) *heldSite {
	t.Helper()
	return startHeldSiteWith(t, Options{NeverRelease: never})
}

// startHeldSiteWith is startHeldSite with further options.
func startHeldSiteWith(t *testing.T, opts Options) *heldSite {
	t.Helper()
	eng, err := TestEngine()
	if err != nil {
		t.Fatal(err)
	}
	rdir := t.TempDir()
	rq, err := store.NewFS(filepath.Join(rdir, "quarantine"))
	if err != nil {
		t.Fatal(err)
	}
	rdb, err := meta.OpenDB(context.Background(), filepath.Join(rdir, "mugai.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	md, err := meta.NewSQLite(context.Background(), rdb)
	if err != nil {
		t.Fatal(err)
	}
	relay, err := smtpproxy.New(smtpproxy.Options{DataDir: rdir, Hostname: "mugai.test", Domains: []string{"lg.example.jp"}}, eng, rq, md)
	if err != nil {
		t.Fatal(err)
	}
	links, err := held.LoadLinks(t.TempDir(), "https://dl.example.lg.jp")
	if err != nil {
		t.Fatal(err)
	}
	opts.PlainHTTP, opts.Held, opts.Mailer, opts.MaxPasswordTries = true, links, relay, 2
	ts := startSite(t, opts)
	if err := ts.s.Users().Add(context.Background(), auth.User{Name: "dave", Role: auth.RoleAdmin}, testPassword); err != nil {
		t.Fatal(err)
	}
	_, ob, _, _ := smtpproxy.Options{DataDir: rdir}.Dirs()
	return &heldSite{testSite: ts, links: links, outbox: ob}
}

// holdMail runs a mail to alice with attachment name through the engine
// and keeps it in the quarantine as the relay does; it returns the
// path of its page.
func (hs *heldSite) holdMail(name string, content []byte) (id, path string) {
	hs.t.Helper()
	return hs.holdMailTo(name, content, "alice@lg.example.jp")
}

// holdMailTo is holdMail for the recipients rcpts.
func (hs *heldSite) holdMailTo(name string, content []byte, rcpts ...string) (id, path string) {
	hs.t.Helper()
	msg := "From: sender@example.com\r\nTo: " + strings.Join(rcpts, ", ") + "\r\nSubject: test\r\nMessage-ID: <m1@example.com>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n" +
		"Content-Type: application/octet-stream; name=\"" + name + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString(content) + "\r\n--b--\r\n"
	return hs.holdMessage(msg, nil, rcpts...)
}

// holdMessage runs msg to rcpts through the engine and keeps it in the
// quarantine as the relay does, with meta beside the sender and the
// recipients; it returns the path of its page.
func (hs *heldSite) holdMessage(msg string, meta map[string]string, rcpts ...string) (id, path string) {
	t := hs.t
	t.Helper()
	id = ids.New(time.Now())
	res, err := hs.s.eng.Sanitize(context.Background(), sanitizer.Input{ID: id, Name: "message.eml", Body: strings.NewReader(msg)})
	if err != nil {
		t.Fatal(err)
	}
	res.Close()
	rep, _ := json.Marshal(res.Report)
	to, _ := json.Marshal(rcpts)
	m := map[string]string{"from": "sender@example.com", "to": string(to)}
	maps.Copy(m, meta)
	it := store.Item{ID: id, Name: "message.eml", Reason: "original", Report: rep, RetainUntil: time.Now().Add(time.Hour), Source: "smtp", Meta: m}
	if _, err := hs.s.q.Put(context.Background(), it, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	return id, "/held/" + hs.links.Token(id)
}

// outboxed is the outbox entries the site queued.
func (hs *heldSite) outboxed() []*smtpproxy.Entry {
	hs.t.Helper()
	ob, err := smtpproxy.OpenOutbox(hs.outbox)
	if err != nil {
		hs.t.Fatal(err)
	}
	es, err := ob.List()
	if err != nil {
		hs.t.Fatal(err)
	}
	return es
}

func readCorpus(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "fixtures", "corpus", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHeldLinkOfAnotherUserOrForged(t *testing.T) {
	hs := startHeldSite(t)
	id, path := hs.holdMail("shiryo.zip", readCorpus(t, "archive/zip-zipcrypto.zip"))
	alice := hs.newClient(hs.down).login("alice")
	if resp, body := alice.get(path); resp.StatusCode != 200 || !strings.Contains(body, "shiryo.zip") || !strings.Contains(body, "sender@example.com") {
		t.Fatalf("the recipient's page: %d\n%s", resp.StatusCode, body)
	}
	forged := []string{
		"/held/" + id, "/held/" + id + ".", "/held/" + hs.links.Token(ids.New(time.Now())),
		path[:len(path)-3] + "AAA", "/held/..%2F..%2Fetc%2Fpasswd",
	}
	for _, p := range forged {
		if resp, body := alice.get(p); resp.StatusCode != 404 || strings.Contains(body, "shiryo") {
			t.Errorf("forged %s: %d", p, resp.StatusCode)
		}
	}
	// Not a recipient, an approver included: as if it did not exist.
	for _, u := range []string{"bob", "carol"} {
		c := hs.newClient(hs.down).login(u)
		resp, body := c.get(path)
		if resp.StatusCode != 404 || strings.Contains(body, "shiryo") || strings.Contains(body, "sender@example.com") {
			t.Errorf("%s sees another's held mail: %d", u, resp.StatusCode)
		}
		if resp, _ := c.postForm(path+"/request", url.Values{"csrf": {c.csrf}, "reason": {"x"}}); resp.StatusCode != 404 {
			t.Errorf("%s may ask for another's original: %d", u, resp.StatusCode)
		}
		if resp, _ := c.postForm(path+"/password", url.Values{"csrf": {c.csrf}, "password": {"mugai"}}); resp.StatusCode != 404 {
			t.Errorf("%s may unlock another's mail: %d", u, resp.StatusCode)
		}
	}
	// An administrator sees it, with no action.
	resp, body := hs.newClient(hs.down).login("dave").get(path)
	if resp.StatusCode != 200 || strings.Contains(body, `name="password"`) {
		t.Errorf("the administrator's view: %d", resp.StatusCode)
	}
	// Without a login: the login page.
	if resp, _ := hs.newClient(hs.down).get(path); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("without a login: %d", resp.StatusCode)
	}
}

func TestHeldWrongPasswordsLeaveItToAnAdministrator(t *testing.T) {
	hs := startHeldSite(t)
	_, path := hs.holdMail("shiryo.zip", readCorpus(t, "archive/zip-zipcrypto.zip"))
	alice := hs.newClient(hs.down).login("alice")
	alice.get(path)
	for i := range 2 {
		resp, body := alice.postForm(path+"/password", url.Values{"csrf": {alice.csrf}, "password": {"wrong"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "パスワードが違います") {
			t.Fatalf("wrong password %d: %d", i, resp.StatusCode)
		}
	}
	// The right one is refused too now: the item waits for an administrator.
	resp, body := alice.postForm(path+"/password", url.Values{"csrf": {alice.csrf}, "password": {"mugai"}})
	if resp.StatusCode != http.StatusTooManyRequests || strings.Contains(body, `name="password"`) {
		t.Errorf("after the tries: %d", resp.StatusCode)
	}
	if es := hs.outboxed(); len(es) != 0 {
		t.Errorf("a mail was queued after wrong passwords: %d", len(es))
	}
	// Only an administrator gives new tries; then the right password
	// sends the contents.
	if resp, _ := alice.postForm(path+"/tries", url.Values{"csrf": {alice.csrf}}); resp.StatusCode != 404 {
		t.Errorf("the recipient resets the tries: %d", resp.StatusCode)
	}
	dave := hs.newClient(hs.down).login("dave")
	dave.get(path)
	if resp, _ := dave.postForm(path+"/tries", url.Values{"csrf": {dave.csrf}}); resp.StatusCode != 200 {
		t.Fatalf("the administrator's reset: %d", resp.StatusCode)
	}
	resp, body = alice.postForm(path+"/password", url.Values{"csrf": {alice.csrf}, "password": {"mugai"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "alice@lg.example.jp") || !strings.Contains(body, "/files/0") {
		t.Fatalf("the right password after the reset: %d\n%s", resp.StatusCode, body)
	}
	if es := hs.outboxed(); len(es) != 1 || es[0].Kind != smtpproxy.KindSite || es[0].Rcpts[0].Addr != "alice@lg.example.jp" {
		t.Errorf("queued after the unlock: %+v", es)
	}
	// A mail with nothing encrypted takes no password.
	_, exe := hs.holdMail("setup.exe", readCorpus(t, "exec/setup.exe"))
	alice.get(exe)
	if resp, _ := alice.postForm(exe+"/password", url.Values{"csrf": {alice.csrf}, "password": {"x"}}); resp.StatusCode != 404 {
		t.Errorf("a password for a mail with nothing encrypted: %d", resp.StatusCode)
	}
}

func TestHeldPurgedItemSaysSo(t *testing.T) {
	hs := startHeldSite(t)
	id, path := hs.holdMail("shiryo.zip", readCorpus(t, "archive/zip-zipcrypto.zip"))
	if err := hs.s.q.SetState(context.Background(), id, store.Purged, "sweep"); err != nil {
		t.Fatal(err)
	}
	alice := hs.newClient(hs.down).login("alice")
	resp, body := alice.get(path)
	if resp.StatusCode != 200 || !strings.Contains(body, "保管期間が終わり削除されました") || strings.Contains(body, `name="password"`) || strings.Contains(body, `name="reason"`) {
		t.Fatalf("a purged item's page: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := alice.postForm(path+"/request", url.Values{"csrf": {alice.csrf}, "reason": {"必要"}}); resp.StatusCode != http.StatusGone || !strings.Contains(body, "削除されました") {
		t.Errorf("a request for a purged item: %d", resp.StatusCode)
	}
}

func TestHeldExecutableNeverReleased(t *testing.T) {
	hs := startHeldSite(t)
	_, path := hs.holdMail("setup.exe", readCorpus(t, "exec/setup.exe"))
	alice := hs.newClient(hs.down).login("alice")
	_, body := alice.get(path)
	if strings.Contains(body, `name="reason"`) || !strings.Contains(body, "お渡しできません") {
		t.Errorf("the page offers a release of an executable:\n%s", body)
	}
	if resp, _ := alice.postForm(path+"/request", url.Values{"csrf": {alice.csrf}, "reason": {"必要"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a request for an executable: %d", resp.StatusCode)
	}
}

func TestHeldRequestRejectedWithComment(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		hs := startHeldSiteWith(t, Options{DB: db})
		id, path := hs.holdMail("shiryo.zip", readCorpus(t, "archive/zip-zipcrypto.zip"))
		// open says whether the retention sweep must keep the original.
		open := func() bool {
			t.Helper()
			held, err := hs.s.HasOpenRequest(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			return held
		}
		alice := hs.newClient(hs.down).login("alice")
		alice.get(path)
		if resp, _ := alice.postForm(path+"/request", url.Values{"csrf": {alice.csrf}, "reason": {""}}); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("a request without a reason: %d", resp.StatusCode)
		}
		if resp, _ := alice.postForm(path+"/request", url.Values{"csrf": {alice.csrf}, "reason": {"原本が必要です"}}); resp.StatusCode != 200 {
			t.Fatalf("request: %d", resp.StatusCode)
		}
		if resp, _ := alice.postForm(path+"/request", url.Values{"csrf": {alice.csrf}, "reason": {"もう一度"}}); resp.StatusCode != http.StatusConflict {
			t.Errorf("a second pending request: %d", resp.StatusCode)
		}
		if !open() {
			t.Error("a pending request does not keep the original from the retention sweep")
		}
		// A user who is no approver cannot decide.
		var reqID string
		hs.s.db.QueryRow(`SELECT id FROM held_requests`).Scan(&reqID)
		bob := hs.newClient(hs.down).login("bob")
		bob.get("/")
		if resp, _ := bob.postForm("/held-requests/"+reqID, url.Values{"csrf": {bob.csrf}, "decision": {"approve"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a user approves: %d", resp.StatusCode)
		}
		carol := hs.newClient(hs.down).login("carol")
		_, body := carol.get("/held-requests")
		if !strings.Contains(body, "原本が必要です") || !strings.Contains(body, "shiryo.zip") {
			t.Fatalf("the approver's page lacks the request:\n%s", body)
		}
		if resp, _ := carol.postForm("/held-requests/"+reqID, url.Values{"csrf": {carol.csrf}, "decision": {"reject"}}); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("a rejection without a comment: %d", resp.StatusCode)
		}
		if resp, _ := carol.postForm("/held-requests/"+reqID, url.Values{"csrf": {carol.csrf}, "decision": {"reject"}, "comment": {"業務上の必要が確認できません"}}); resp.StatusCode != 200 {
			t.Fatalf("reject: %d", resp.StatusCode)
		}
		if resp, _ := carol.postForm("/held-requests/"+reqID, url.Values{"csrf": {carol.csrf}, "decision": {"approve"}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("a decided request decided again: %d", resp.StatusCode)
		}
		if _, body := alice.get(path); !strings.Contains(body, "業務上の必要が確認できません") {
			t.Error("the requester does not read the rejection's reason")
		}
		if open() {
			t.Error("a decided request still keeps the original from the retention sweep")
		}
		// Queued: the approvers' notifications (carol, and dave, an
		// administrator) and alice's decision; no original.
		var kinds []string
		for _, e := range hs.outboxed() {
			kinds = append(kinds, e.ID[strings.LastIndexByte(e.ID, '-'):]+" "+e.Rcpts[0].Addr)
			if strings.HasSuffix(e.ID, "-release") {
				t.Error("a rejected request released the original")
			}
		}
		if len(kinds) != 3 {
			t.Errorf("queued mails: %v", kinds)
		}
	})
}

// TestHeldApproverCannotReleaseAnExecutable: a request recorded for an
// executable (the policy changed since, or a forged form) is still
// refused at the approval.
func TestHeldApproverCannotReleaseAnExecutable(t *testing.T) {
	hs := startHeldSite(t)
	id, _ := hs.holdMail("setup.exe", readCorpus(t, "exec/setup.exe"))
	if _, err := hs.s.db.ExecContext(context.Background(), `INSERT INTO held_requests (id, item, requester, rcpt, reason, state, created) VALUES ('r1', ?, 'alice', 'alice@lg.example.jp', 'x', 'pending', ?)`, id, hs.s.db.Stamp(time.Now())); err != nil {
		t.Fatal(err)
	}
	carol := hs.newClient(hs.down).login("carol")
	carol.get("/held-requests")
	if resp, _ := carol.postForm("/held-requests/r1", url.Values{"csrf": {carol.csrf}, "decision": {"approve"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an executable approved: %d", resp.StatusCode)
	}
	for _, e := range hs.outboxed() {
		if strings.HasSuffix(e.ID, "-release") {
			t.Error("the executable was queued")
		}
	}
}

// TestHeldPolicyNeverReleases: a reason code in NeverRelease keeps the
// original from any request.
func TestHeldPolicyNeverReleases(t *testing.T) {
	hs := startHeldSite(t, sanitizer.ReasonEncrypted)
	_, path := hs.holdMail("shiryo.zip", readCorpus(t, "archive/zip-zipcrypto.zip"))
	alice := hs.newClient(hs.down).login("alice")
	_, body := alice.get(path)
	if strings.Contains(body, `name="reason"`) || !strings.Contains(body, `name="password"`) {
		t.Errorf("the page of a never-released kind:\n%s", body)
	}
	if resp, _ := alice.postForm(path+"/request", url.Values{"csrf": {alice.csrf}, "reason": {"必要"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a request the policy forbids: %d", resp.StatusCode)
	}
}

// TestHeldTriesArePerRecipient: one notice, several recipients. The
// link is the same for each; what each does on the page is their own:
// one recipient's wrong passwords do not use up another's tries, and one
// recipient's unlocked files and request are not another's.
func TestHeldTriesArePerRecipient(t *testing.T) {
	hs := startHeldSite(t)
	_, path := hs.holdMailTo("shiryo.zip", readCorpus(t, "archive/zip-zipcrypto.zip"), "alice@lg.example.jp", "bob@lg.example.jp")
	alice := hs.newClient(hs.down).login("alice")
	bob := hs.newClient(hs.down).login("bob")
	alice.get(path)
	bob.get(path)
	for i := range 2 {
		if resp, _ := bob.postForm(path+"/password", url.Values{"csrf": {bob.csrf}, "password": {"wrong"}}); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bob's wrong password %d: %d", i, resp.StatusCode)
		}
	}
	if resp, _ := bob.postForm(path+"/password", url.Values{"csrf": {bob.csrf}, "password": {"mugai"}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("bob after his tries: %d", resp.StatusCode)
	}
	// alice still has both of hers.
	_, body := alice.get(path)
	if !strings.Contains(body, `name="password"`) || !strings.Contains(body, "あと 2 回まで試せます") {
		t.Fatalf("alice's page after bob's tries:\n%s", body)
	}
	resp, body := alice.postForm(path+"/password", url.Values{"csrf": {alice.csrf}, "password": {"mugai"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "/files/0") {
		t.Fatalf("alice's right password after bob's tries: %d\n%s", resp.StatusCode, body)
	}
	es := hs.outboxed()
	if len(es) != 1 || len(es[0].Rcpts) != 1 || es[0].Rcpts[0].Addr != "alice@lg.example.jp" {
		t.Fatalf("the unlocked contents went to: %+v", es)
	}
	// bob sees neither alice's files nor may he fetch them.
	if _, body := bob.get(path); strings.Contains(body, "/files/0") || strings.Contains(body, `name="password"`) {
		t.Errorf("bob's page shows alice's files or a password field:\n%s", body)
	}
	if resp, _ := bob.get(path + "/files/0"); resp.StatusCode != 404 {
		t.Errorf("bob fetches alice's unlocked file: %d", resp.StatusCode)
	}
	// bob's request is his own: alice's page does not show it as hers.
	if resp, _ := bob.postForm(path+"/request", url.Values{"csrf": {bob.csrf}, "reason": {"ボブの申請理由"}}); resp.StatusCode != 200 {
		t.Fatalf("bob's request: %d", resp.StatusCode)
	}
	if _, body := alice.get(path); strings.Contains(body, "ボブの申請理由") {
		t.Error("alice's page shows bob's request")
	}
	if resp, _ := alice.postForm(path+"/request", url.Values{"csrf": {alice.csrf}, "reason": {"アリスの申請理由"}}); resp.StatusCode != 200 {
		t.Errorf("alice's own request while bob's is pending: %d", resp.StatusCode)
	}
}

// TestHeldTriesCountedBeforePerRecipientCarryOver: a database whose
// held_tries counted per item keeps those counts, for every recipient.
func TestHeldTriesCountedBeforePerRecipientCarryOver(t *testing.T) {
	hs := startHeldSite(t)
	id, path := hs.holdMail("shiryo.zip", readCorpus(t, "archive/zip-zipcrypto.zip"))
	db := hs.s.db
	if _, err := db.Exec(`CREATE TABLE held_tries (item TEXT PRIMARY KEY, failures INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO held_tries VALUES (?, 2)`, id); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(context.Background(), transferSchema); err != nil {
		t.Fatal(err)
	}
	alice := hs.newClient(hs.down).login("alice")
	alice.get(path)
	if resp, _ := alice.postForm(path+"/password", url.Values{"csrf": {alice.csrf}, "password": {"mugai"}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("tries used up before the upgrade are new again: %d", resp.StatusCode)
	}
}

// TestHeldPasswordHints: the passwords found in later mails are offered
// to their recipient alone, by an ID, never the password; each is tried
// once, counts as a try, and all are forgotten once the item is opened.
func TestHeldPasswordHints(t *testing.T) {
	hints := &held.Hints{}
	hs := startHeldSiteWith(t, Options{Hints: hints})
	id, path := hs.holdMailTo("shiryo.zip", readCorpus(t, "archive/zip-zipcrypto.zip"), "alice@lg.example.jp", "bob@lg.example.jp")
	now := time.Now()
	hints.Held(id, "sender@example.com", []string{"alice@lg.example.jp", "bob@lg.example.jp"}, now)
	followUp := "Subject: pw\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nPW: not-this-one\r\nパスワード：mugai\r\n"
	if n := hints.FollowUp("f1", "sender@example.com", []string{"alice@lg.example.jp"}, now, strings.NewReader(followUp)); n != 2 {
		t.Fatalf("%d hints kept, want 2", n)
	}
	alice := hs.newClient(hs.down).login("alice")
	_, body := alice.get(path)
	if strings.Count(body, `class="hint"`) != 2 || strings.Contains(body, "not-this-one") || strings.Contains(body, "mugai</") {
		t.Fatalf("alice's page with two hints:\n%s", body)
	}
	found := hints.For(id, "alice@lg.example.jp")
	bob := hs.newClient(hs.down).login("bob")
	if _, body := bob.get(path); strings.Contains(body, `class="hint"`) {
		t.Error("bob is offered the passwords mailed to alice")
	}
	if resp, _ := bob.postForm(path+"/password", url.Values{"csrf": {bob.csrf}, "hint": {found[1].ID}}); resp.StatusCode != http.StatusGone {
		t.Errorf("bob tries alice's hint: %d", resp.StatusCode)
	}
	if resp, _ := alice.postForm(path+"/password", url.Values{"csrf": {alice.csrf}, "hint": {"forged"}}); resp.StatusCode != http.StatusGone {
		t.Errorf("a forged hint: %d", resp.StatusCode)
	}
	resp, body := alice.postForm(path+"/password", url.Values{"csrf": {alice.csrf}, "hint": {found[0].ID}})
	if resp.StatusCode != http.StatusUnprocessableEntity || strings.Count(body, `class="hint"`) != 1 || !strings.Contains(body, "あと 1 回まで試せます") {
		t.Fatalf("the wrong hint: %d\n%s", resp.StatusCode, body)
	}
	resp, body = alice.postForm(path+"/password", url.Values{"csrf": {alice.csrf}, "hint": {found[1].ID}})
	if resp.StatusCode != 200 || !strings.Contains(body, "/files/0") {
		t.Fatalf("the right hint: %d\n%s", resp.StatusCode, body)
	}
	if got := hints.For(id, "alice@lg.example.jp"); len(got) != 0 {
		t.Errorf("hints kept after the item was opened: %d", len(got))
	}
	evs, _ := hs.s.audit.Events(context.Background(), audit.Filter{Action: audit.HeldUnlock})
	for _, e := range evs {
		if strings.Contains(e.Detail, "mugai") || strings.Contains(e.Detail, "not-this-one") {
			t.Errorf("a password in the audit trail: %+v", e)
		}
	}
}
