package transfer

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/meta/metatest"
	"github.com/mugai-project/mugai/internal/store"
)

const plainText = "予算の件です。\nこれは本文です。\n"

func TestCSRFWithoutTokenRefused(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	alice := ts.newClient(ts.up).login("alice")
	if st, _ := alice.upload("", map[string][]byte{"a.txt": []byte(plainText)}, false); st != http.StatusForbidden {
		t.Errorf("upload without the CSRF token: %d, want 403", st)
	}
	if resp, _ := alice.postForm("/logout", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("logout without the CSRF token: %d", resp.StatusCode)
	}
	if resp, _ := alice.postForm("/logout", url.Values{"csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("logout with a forged token: %d", resp.StatusCode)
	}
	// A cross-site page posting with the victim's cookies and even the
	// right token is refused by its Origin.
	req, _ := http.NewRequest("POST", ts.up+"/logout", strings.NewReader("csrf="+alice.csrf))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if resp, err := alice.c.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin POST: %v %v", resp.StatusCode, err)
	}
	// Login CSRF: a login form posted without the form's cookie token.
	fresh := ts.newClient(ts.up)
	if resp, _ := fresh.postForm("/login", url.Values{"user": {"alice"}, "password": {testPassword}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("login without the token: %d", resp.StatusCode)
	}
	var n int
	ts.s.db.QueryRow(`SELECT count(*) FROM transfer_items`).Scan(&n)
	if n != 0 {
		t.Errorf("%d items stored by refused requests", n)
	}
}

func TestSessionCookieFlags(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{}) // TLS with a self-signed certificate
	c := ts.newClient(ts.up)
	c.get("/login")
	resp, _ := c.postForm("/login", url.Values{"csrf": {c.csrf}, "user": {"alice"}, "password": {testPassword}})
	var found bool
	for _, ck := range resp.Cookies() {
		if ck.Name != cookieName(ZoneUpload) {
			continue
		}
		found = true
		if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteStrictMode {
			t.Errorf("session cookie %q lacks HttpOnly, Secure or SameSite=Strict", resp.Header.Values("Set-Cookie"))
		}
	}
	if !found {
		t.Fatalf("no session cookie in %q", resp.Header.Values("Set-Cookie"))
	}
	if h := resp.Header.Get("Strict-Transport-Security"); h == "" {
		t.Error("no HSTS over TLS")
	}
	if _, err := New(Options{DataDir: t.TempDir(), PlainHTTP: true, UploadAddr: ":0", Engine: ts.s.eng, Quarantine: ts.s.q, DB: ts.s.db}); err == nil {
		t.Error("plain HTTP accepted on all interfaces")
	}
}

func TestSessionOfOneSiteRefusedOnTheOther(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	up := ts.newClient(ts.up).login("alice")
	// Cookies ignore ports: the same jar sends the upload cookie to the
	// download site, which must not accept it.
	up.base = ts.down
	if resp, _ := up.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("download site with an upload session: %d, want a redirect to /login", resp.StatusCode)
	}
}

func TestSitesRefuseEachOthersRoutes(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	alice := ts.newClient(ts.up).login("alice")
	it := ts.uploadOne(alice, "", "memo.txt", []byte(plainText))
	if it.State != Done {
		t.Fatalf("item %s", it.State)
	}
	down := ts.newClient(ts.down).login("alice")
	for _, tc := range []struct {
		name   string
		c      *client
		method string
		path   string
	}{
		{"upload on the download site", down, "POST", "/upload"},
		{"status API on the download site", down, "GET", "/api/items"},
		{"password retry on the download site", down, "POST", "/items/" + it.ID + "/password"},
		{"approvals on the download site", down, "GET", "/approvals"},
		{"file download on the upload site", alice, "GET", "/files/" + it.ID + "/0"},
		{"delete on the upload site", alice, "POST", "/files/" + it.ID + "/delete"},
		{"original by path on the download site", down, "GET", "/static/../quarantine/items/" + it.ID + ".original"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, tc.c.base+tc.path, strings.NewReader("csrf="+tc.c.csrf))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-CSRF-Token", tc.c.csrf)
			resp, err := tc.c.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && loc != "" {
				// A cleaned path: follow it once.
				resp, err = tc.c.c.Get(tc.c.base + loc)
				if err != nil {
					t.Fatal(err)
				}
				b, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: %d, want 404 or 405", tc.method, tc.path, resp.StatusCode)
			}
			if bytes.Contains(b, []byte("予算")) {
				t.Errorf("the response carries the file's content")
			}
		})
	}
	// And the download site does serve it.
	if resp, b := down.get("/files/" + it.ID + "/0"); resp.StatusCode != http.StatusOK || !strings.Contains(b, "予算") {
		t.Errorf("download: %d %q", resp.StatusCode, b)
	}
}

func TestIDORAnotherUsersFiles(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	alice := ts.newClient(ts.up).login("alice")
	private := ts.uploadOne(alice, "", "alice-private.txt", []byte(plainText))
	shared := ts.uploadOne(alice, "carol", "for-carol.txt", []byte(plainText))
	bobDown := ts.newClient(ts.down).login("bob")
	if _, b := bobDown.get("/"); strings.Contains(b, "alice-private") || strings.Contains(b, "for-carol") {
		t.Error("bob's download list shows alice's files")
	}
	for _, it := range []*Item{private, shared} {
		if resp, _ := bobDown.get("/files/" + it.ID + "/0"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("bob fetched %s: %d", it.Name, resp.StatusCode)
		}
		if resp, _ := bobDown.postForm("/files/"+it.ID+"/delete", url.Values{"csrf": {bobDown.csrf}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("bob deleted %s: %d", it.Name, resp.StatusCode)
		}
	}
	bobUp := ts.newClient(ts.up).login("bob")
	if _, b := bobUp.get("/api/items"); strings.Contains(b, private.ID) {
		t.Error("bob's status API lists alice's item")
	}
	carol := ts.newClient(ts.down).login("carol")
	_, b := carol.get("/")
	if !strings.Contains(b, "for-carol") || strings.Contains(b, "alice-private") {
		t.Errorf("carol's list: want only the file addressed to her")
	}
	if resp, _ := carol.get("/files/" + shared.ID + "/0"); resp.StatusCode != http.StatusOK {
		t.Errorf("recipient download: %d", resp.StatusCode)
	}
	if resp, _ := carol.postForm("/files/"+shared.ID+"/delete", url.Values{"csrf": {carol.csrf}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a recipient deleted the uploader's item: %d", resp.StatusCode)
	}
}

func TestPathTraversalInUploadNames(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	alice := ts.newClient(ts.up).login("alice")
	outside := filepath.Dir(ts.s.opts.DataDir)
	for _, name := range []string{"../../../evil1.txt", `..\..\evil2.txt`, "/etc/evil3.txt", "sub/../../evil4.txt", ".."} {
		t.Run(name, func(t *testing.T) {
			it := ts.uploadOne(alice, "", name, []byte(plainText))
			if strings.ContainsAny(it.Name, `/\`) || strings.HasPrefix(it.Name, ".") || strings.ContainsRune(it.Name, 0) {
				t.Errorf("stored name %q", it.Name)
			}
			for _, o := range it.Outputs {
				if strings.ContainsAny(o.Name, `/\`) || strings.HasPrefix(o.Name, ".") {
					t.Errorf("output name %q", o.Name)
				}
			}
		})
	}
	if st, _ := alice.upload("", map[string][]byte{"evil5.txt\x00.pdf": []byte(plainText)}, true); st != http.StatusBadRequest {
		t.Errorf("NUL in the file name: %d, want 400", st)
	}
	filepath.WalkDir(outside, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), "evil") {
			t.Errorf("a file named after the upload was written: %s", p)
		}
		return nil
	})
}

// countingReader is an endless body that counts what the client sent.
type countingReader struct{ n atomic.Int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'A'
	}
	r.n.Add(int64(len(p)))
	return len(p), nil
}

func TestOversizeUploadRefusedMidStream(t *testing.T) {
	t.Parallel()
	const limit = 256 << 10
	ts := startSite(t, Options{PlainHTTP: true, MaxUploadBytes: limit})
	alice := ts.newClient(ts.up).login("alice")
	body := &countingReader{}
	const total = 256 << 20
	pr := io.MultiReader(strings.NewReader("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n\r\n"),
		io.LimitReader(body, total), strings.NewReader("\r\n--B--\r\n"))
	req, _ := http.NewRequest("POST", ts.up+"/upload", pr)
	req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
	req.Header.Set("X-CSRF-Token", alice.csrf)
	resp, err := alice.c.Do(req)
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d %s, want 413", resp.StatusCode, b)
		}
		if !strings.Contains(string(b), "大きすぎ") {
			t.Errorf("error %q does not say the file is too large", b)
		}
	}
	if n := body.n.Load(); n >= total/2 {
		t.Errorf("the server read %d of %d bytes before refusing", n, int64(total))
	}
	ents, _ := os.ReadDir(ts.s.incoming)
	if len(ents) != 0 {
		t.Errorf("%d files left in the incoming folder", len(ents))
	}
	var n int
	ts.s.db.QueryRow(`SELECT count(*) FROM transfer_items`).Scan(&n)
	if n != 0 {
		t.Errorf("%d items recorded", n)
	}
	evs, _ := ts.s.audit.Events(context.Background(), audit.Filter{Action: audit.UploadFailed})
	if len(evs) != 1 || evs[0].Outcome != "err_size" {
		t.Errorf("audit: %+v", evs)
	}
}

func TestTooManyFilesRefused(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true, MaxFiles: 2})
	alice := ts.newClient(ts.up).login("alice")
	st, body := alice.upload("", map[string][]byte{"1.txt": []byte("a"), "2.txt": []byte("b"), "3.txt": []byte("c")}, true)
	if st != http.StatusRequestEntityTooLarge || !strings.Contains(body, "2 件まで") {
		t.Errorf("%d %s", st, body)
	}
}

func TestLockoutAfterRepeatedBadPasswords(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	c := ts.newClient(ts.up)
	for i := range 5 {
		if st := c.tryLogin("alice", fmt.Sprintf("guess %d", i)); st != http.StatusUnauthorized {
			t.Fatalf("bad password %d: %d", i, st)
		}
	}
	if st := c.tryLogin("alice", testPassword); st != http.StatusUnauthorized {
		t.Errorf("right password on a locked account: %d, want 401", st)
	}
	evs, _ := ts.s.audit.Events(context.Background(), audit.Filter{Action: audit.LoginFailed, User: "alice"})
	if len(evs) != 6 || evs[5].Outcome != "locked" {
		t.Errorf("audit of failed logins: %+v", evs)
	}
	ts.clock.Add(16 * time.Minute)
	if st := c.tryLogin("alice", testPassword); st != http.StatusSeeOther {
		t.Errorf("after the lockout: %d", st)
	}
}

func TestLoginRateLimitPerAddress(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true, LoginBurst: 3, LoginEvery: time.Hour})
	c := ts.newClient(ts.up)
	users := []string{"nobody1", "nobody2", "nobody3"}
	for _, u := range users {
		if st := c.tryLogin(u, "x"); st != http.StatusUnauthorized {
			t.Fatalf("%s: %d", u, st)
		}
	}
	if st := c.tryLogin("alice", testPassword); st != http.StatusTooManyRequests {
		t.Errorf("fourth attempt from one address: %d, want 429", st)
	}
}

func TestApprovalFlow(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		t.Parallel()
		ts := startSite(t, Options{PlainHTTP: true, Approval: true, DB: db})
		alice := ts.newClient(ts.up).login("alice")
		alice.purpose = "予算資料の共有"
		it := ts.uploadOne(alice, "", "report.txt", []byte(plainText))
		if it.State != Done || it.Approval != ApprovalPending {
			t.Fatalf("state %s approval %q", it.State, it.Approval)
		}
		aliceDown := ts.newClient(ts.down).login("alice")
		if resp, _ := aliceDown.get("/files/" + it.ID + "/0"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("downloaded before approval: %d", resp.StatusCode)
		}
		if _, b := aliceDown.get("/"); strings.Contains(b, "report.txt") {
			t.Error("listed before approval")
		}
		if resp, _ := alice.get("/approvals"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a user opened the approval queue: %d", resp.StatusCode)
		}
		if resp, _ := alice.postForm("/approvals/"+it.ID, url.Values{"csrf": {alice.csrf}, "decision": {"approve"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a user approved: %d", resp.StatusCode)
		}
		carol := ts.newClient(ts.up).login("carol")
		carol.purpose = "自分の資料"
		own := ts.uploadOne(carol, "", "carol.txt", []byte(plainText))
		_, page := carol.get("/approvals")
		if !strings.Contains(page, "report.txt") || !strings.Contains(page, "テキストに変換") {
			t.Errorf("the approver's queue lacks the item or its report")
		}
		if resp, _ := carol.postForm("/approvals/"+own.ID, url.Values{"csrf": {carol.csrf}, "decision": {"approve"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("an approver approved their own upload: %d", resp.StatusCode)
		}
		if resp, _ := carol.postForm("/approvals/"+it.ID, url.Values{"csrf": {carol.csrf}, "decision": {"approve"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve: %d", resp.StatusCode)
		}
		if resp, b := aliceDown.get("/files/" + it.ID + "/0"); resp.StatusCode != http.StatusOK || !strings.Contains(b, "予算") {
			t.Errorf("download after approval: %d", resp.StatusCode)
		}
		evs, _ := ts.s.audit.Events(context.Background(), audit.Filter{Action: audit.Approve})
		if len(evs) != 1 || evs[0].User != "carol" || evs[0].Item != it.ID || evs[0].SHA256Out == "" {
			t.Errorf("approval audit: %+v", evs)
		}
		// A rejected item never becomes downloadable.
		it2 := ts.uploadOne(alice, "", "second.txt", []byte(plainText))
		carol.get("/approvals")
		carol.postForm("/approvals/"+it2.ID, url.Values{"csrf": {carol.csrf}, "decision": {"reject"}, "reason": {"宛先が違います"}})
		if resp, _ := aliceDown.get("/files/" + it2.ID + "/0"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("rejected item downloaded: %d", resp.StatusCode)
		}
	})
}

func TestExpiryPurge(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		t.Parallel()
		ts := startSite(t, Options{PlainHTTP: true, Expiry: 24 * time.Hour, PurgeInterval: time.Hour, DB: db})
		alice := ts.newClient(ts.up).login("alice")
		old := ts.uploadOne(alice, "", "old.txt", []byte(plainText))
		ts.clock.Add(23 * time.Hour)
		alice = ts.newClient(ts.up).login("alice") // the first session has expired
		fresh := ts.uploadOne(alice, "", "fresh.txt", []byte(plainText))
		ts.clock.Add(2 * time.Hour)
		n, err := ts.s.Purge(context.Background())
		if err != nil || n != 1 {
			t.Fatalf("Purge: %d %v, want 1", n, err)
		}
		if _, err := ts.s.outputs.Open(context.Background(), old.ID, 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired outputs still stored: %v", err)
		}
		if b, err := ts.s.outputs.Open(context.Background(), fresh.ID, 0); err != nil {
			t.Errorf("unexpired output purged: %v", err)
		} else {
			b.Close()
		}
		it, _ := ts.s.item(context.Background(), old.ID)
		if it.State != Expired {
			t.Errorf("state %s", it.State)
		}
		down := ts.newClient(ts.down).login("alice")
		if resp, _ := down.get("/files/" + old.ID + "/0"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("expired item downloaded: %d", resp.StatusCode)
		}
		// The original stays in the quarantine for its own retention.
		if _, rc, err := ts.s.q.Get(context.Background(), old.ID); err != nil {
			t.Errorf("original gone with the outputs: %v", err)
		} else {
			rc.Close()
		}
		evs, _ := ts.s.audit.Events(context.Background(), audit.Filter{Action: audit.Expire})
		if len(evs) != 1 || evs[0].Item != old.ID {
			t.Errorf("expiry audit: %+v", evs)
		}
	})
}

func TestAuditExport(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	alice := ts.newClient(ts.up).login("alice")
	it := ts.uploadOne(alice, "", "=cmd.txt", []byte(plainText))
	down := ts.newClient(ts.down).login("alice")
	down.get("/files/" + it.ID + "/0")
	down.get("/")
	down.postForm("/files/"+it.ID+"/delete", url.Values{"csrf": {down.csrf}})
	var buf bytes.Buffer
	if err := ts.s.audit.Export(context.Background(), &buf, audit.Filter{Since: time.Now().Add(-time.Hour)}, "csv"); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\uFEFF")) {
		t.Error("no BOM for Excel")
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(audit.Header, ",") {
		t.Errorf("header %v", rows[0])
	}
	seen := map[string][]string{}
	for _, r := range rows[1:] {
		seen[r[5]] = r
	}
	for _, a := range []string{audit.Login, audit.Upload, audit.Result, audit.Download, audit.Delete} {
		r, ok := seen[a]
		if !ok {
			t.Errorf("no %s row", a)
			continue
		}
		if r[3] != "alice" {
			t.Errorf("%s: user %q", a, r[3])
		}
		if a != audit.Login && (r[6] != it.ID || r[8] != it.SHA256) {
			t.Errorf("%s: item %q sha256_in %q", a, r[6], r[8])
		}
	}
	if r := seen[audit.Download]; r != nil && r[9] != it.Outputs[0].SHA256 {
		t.Errorf("download sha256_out %q, want %q", r[9], it.Outputs[0].SHA256)
	}
	if r := seen[audit.Upload]; r != nil && r[7] != "'=cmd.txt" {
		t.Errorf("formula-like name exported as %q", r[7])
	}
	// The JSON lines copy has the same events.
	jl, _ := os.ReadFile(filepath.Join(ts.s.opts.DataDir, "audit", "transfer.jsonl"))
	if got := bytes.Count(jl, []byte("\n")); got != len(rows)-1 {
		t.Errorf("%d JSON lines, %d CSV rows", got, len(rows)-1)
	}
}

func TestPPAPHeldThenUnlockedWithPassword(t *testing.T) {
	t.Parallel()
	zip, err := os.ReadFile("../fixtures/corpus/archive/zip-zipcrypto.zip")
	if err != nil {
		t.Skip("fixture missing:", err)
	}
	ts := startSite(t, Options{PlainHTTP: true})
	alice := ts.newClient(ts.up).login("alice")
	it := ts.uploadOne(alice, "", "請求書.zip", zip)
	if it.State != Held {
		t.Fatalf("state %s, want held", it.State)
	}
	_, js := alice.get("/api/items")
	if !strings.Contains(js, `"needs_password":true`) || !strings.Contains(js, "保留") {
		t.Errorf("status API does not ask for the password: %s", js)
	}
	bob := ts.newClient(ts.up).login("bob")
	if resp, _ := bob.postForm("/items/"+it.ID+"/password", url.Values{"csrf": {bob.csrf}, "password": {"mugai"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another user unlocked the item: %d", resp.StatusCode)
	}
	if resp, b := alice.postForm("/items/"+it.ID+"/password", url.Values{"csrf": {alice.csrf}, "password": {"mugai"}}); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("unlock: %d %s", resp.StatusCode, b)
	}
	got := ts.wait(it.ID)
	if got.State != Done || len(got.Outputs) == 0 {
		t.Fatalf("after the password: %s, %d outputs, %s", got.State, len(got.Outputs), got.Error)
	}
}

func TestContentDisposition(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, want string }{
		{"予算表.xlsx", `attachment; filename="___.xlsx"; filename*=UTF-8''%E4%BA%88%E7%AE%97%E8%A1%A8.xlsx`},
		{`a"b;c.txt`, `attachment; filename="a_b_c.txt"; filename*=UTF-8''a%22b%3Bc.txt`},
		{"x\r\nSet-Cookie: y.txt", `attachment; filename="x__Set-Cookie: y.txt"; filename*=UTF-8''x%0D%0ASet-Cookie%3A%20y.txt`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := contentDisposition(tc.name); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestDownloadHeaders(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	alice := ts.newClient(ts.up).login("alice")
	it := ts.uploadOne(alice, "", "名簿.csv", []byte("氏名,年齢\n山田,30\n"))
	down := ts.newClient(ts.down).login("alice")
	resp, _ := down.get("/files/" + it.ID + "/0")
	for h, want := range map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
		"Content-Security-Policy": fileCSP,
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "filename*=UTF-8''%E5%90%8D%E7%B0%BF.csv") {
		t.Errorf("Content-Disposition %q", cd)
	}
}

func TestLanguageSwitch(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	c := ts.newClient(ts.up)
	if _, b := c.get("/login"); !strings.Contains(b, `lang="ja"`) || !strings.Contains(b, "ログイン") {
		t.Error("the default page is not Japanese")
	}
	if resp, _ := c.get("/lang?to=en"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch: %d", resp.StatusCode)
	}
	_, b := c.get("/login")
	if !strings.Contains(b, `lang="en"`) || !strings.Contains(b, "Log in") {
		t.Error("the page did not switch to English")
	}
	c.login("alice")
	if _, js := c.get("/api/items"); !strings.Contains(js, `"items":[]`) {
		t.Errorf("items: %s", js)
	}
}

func TestLoginOnBothSitesAtOnce(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	// One browser opens both login pages before submitting either.
	up := ts.newClient(ts.up)
	down := ts.newClient(ts.down)
	down.c.Jar = up.c.Jar
	up.get("/login")
	down.get("/login")
	for _, c := range []*client{up, down} {
		if resp, _ := c.postForm("/login", url.Values{"csrf": {c.csrf}, "user": {"alice"}, "password": {testPassword}}); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("%s: %d", c.base, resp.StatusCode)
		}
	}
}

func FuzzContentDisposition(f *testing.F) {
	for _, s := range []string{"予算表.xlsx", `a"b.txt`, "x\r\ny", "%41.pdf", "\u202egpj.exe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		cd := contentDisposition(name)
		if strings.ContainsAny(cd, "\r\n\x00") {
			t.Fatalf("header breaks: %q", cd)
		}
		i := strings.Index(cd, "filename*=UTF-8''")
		fallback := cd[len(`attachment; filename="`):strings.Index(cd, `"; filename*`)]
		if strings.ContainsAny(fallback, `"\`) {
			t.Fatalf("fallback %q", fallback)
		}
		if got, err := url.PathUnescape(cd[i+len("filename*=UTF-8''"):]); err != nil || got != name {
			t.Fatalf("filename* decodes to %q, %v; want %q", got, err, name)
		}
	})
}
