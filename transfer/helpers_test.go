package transfer

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/textproto"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/meta/metatest"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/sanitizer"
)

// TestEngine returns one engine with every format for the package's
// tests (its PDF renderer compiles once). TestMain, in the external test
// package, sets it from app.NewEngine: package app imports this one, so
// the tests inside it cannot import app.
var TestEngine func() (*sanitizer.Engine, error)

// TestPreviewer is TestEngine's PDF renderer, for the approvers'
// previews.
var TestPreviewer Previewer

// TestOperations is the console's view of a relay with its outbox in
// dataDir/outbox, as mugai serve hands it over; TestMain sets it as it
// sets TestEngine.
var TestOperations func(dataDir string, q store.Quarantine, db *meta.DB) (Operations, error)

// testPassword is every test user's password.
const testPassword = "correct horse battery"

type testSite struct {
	t        *testing.T
	s        *Server
	up, down string // base URLs
	clock    *fakeClock
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// startSite runs a Server on two loopback listeners with users alice,
// bob (users) and carol (approver), on opts.DB (metatest.Each gives one
// of each kind) or else a new mugai.db.
func startSite(t *testing.T, opts Options) *testSite {
	t.Helper()
	eng, err := TestEngine()
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Now()}
	opts.DataDir = t.TempDir()
	if opts.Quarantine, err = store.NewFS(filepath.Join(opts.DataDir, "quarantine")); err != nil {
		t.Fatal(err)
	}
	if opts.DB == nil {
		opts.DB = metatest.SQLite(t)
	}
	if opts.Operations, err = TestOperations(opts.DataDir, opts.Quarantine, opts.DB); err != nil {
		t.Fatal(err)
	}
	opts.UploadAddr, opts.DownloadAddr = "127.0.0.1:0", "127.0.0.1:0"
	opts.Engine, opts.Previewer = eng, TestPreviewer
	opts.Logger = slog.New(slog.DiscardHandler)
	opts.Now = clock.Now
	opts.Auth.Params = auth.Params{Time: 1, Memory: 64, Threads: 1}
	if opts.LoginBurst == 0 {
		opts.LoginBurst = 1000
	}
	tlsOn := !opts.PlainHTTP
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, u := range []auth.User{{Name: "alice"}, {Name: "bob"}, {Name: "carol", Role: auth.RoleApprover}} {
		if err := s.Users().Add(ctx, u, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Serve(sctx, up, down) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	scheme := "http://"
	if tlsOn {
		scheme = "https://"
	}
	return &testSite{t: t, s: s, up: scheme + up.Addr().String(), down: scheme + down.Addr().String(), clock: clock}
}

// client is a browser: a cookie jar and the CSRF token of its page.
type client struct {
	t    *testing.T
	c    *http.Client
	base string
	csrf string
	// purpose, when set, is sent as the upload's 目的.
	purpose string
}

func (ts *testSite) newClient(base string) *client { return ts.newClientFrom(base, "") }

// newClientFrom is a browser on another machine: its connections come
// from the loopback address src (such as 127.0.0.2; Linux answers the
// whole of 127.0.0.0/8), or the default one when src is "".
func (ts *testSite) newClientFrom(base, src string) *client {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	if src != "" {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		tr.DialContext = d.DialContext
	}
	return &client{t: ts.t, base: base, c: &http.Client{
		Jar:           jar,
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"|data-csrf="([^"]+)"`)

func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	resp, err := c.c.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := csrfRE.FindStringSubmatch(string(b)); m != nil {
		c.csrf = m[1] + m[2]
	}
	return resp, string(b)
}

func (c *client) postForm(path string, v url.Values) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.base+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// tryLogin logs in and returns the response status.
func (c *client) tryLogin(user, pw string) int {
	c.t.Helper()
	st, _ := c.tryLoginPage(user, pw)
	return st
}

// tryLoginPage logs in and returns the response status and page.
func (c *client) tryLoginPage(user, pw string) (int, string) {
	c.t.Helper()
	c.get("/login")
	resp, b := c.postForm("/login", url.Values{"csrf": {c.csrf}, "user": {user}, "password": {pw}})
	return resp.StatusCode, b
}

func (c *client) login(user string) *client {
	c.t.Helper()
	if st := c.tryLogin(user, testPassword); st != http.StatusSeeOther {
		c.t.Fatalf("login %s: status %d", user, st)
	}
	c.get("/")
	return c
}

// upload sends files (name → content) with recipients to and returns the
// status and body.
func (c *client) upload(to string, files map[string][]byte, csrf bool) (int, string) {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if to != "" {
		mw.WriteField("to", to)
	}
	if c.purpose != "" {
		mw.WriteField("purpose", c.purpose)
	}
	for name, content := range files {
		h := textproto.MIMEHeader{}
		// Written by hand so that names with quotes and backslashes
		// reach the server as an attacker would send them.
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+name+`"`)
		h.Set("Content-Type", "application/octet-stream")
		w, _ := mw.CreatePart(h)
		w.Write(content)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", c.base+"/upload", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if csrf {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
}

var idRE = regexp.MustCompile(`"id":"([0-9A-Za-z_-]+)"`)

// uploadOne uploads one file and waits until it is finished.
func (ts *testSite) uploadOne(c *client, to, name string, content []byte) *Item {
	ts.t.Helper()
	st, body := c.upload(to, map[string][]byte{name: content}, true)
	if st != http.StatusAccepted {
		ts.t.Fatalf("upload %s: %d %s", name, st, body)
	}
	m := idRE.FindStringSubmatch(body)
	if m == nil {
		ts.t.Fatalf("no item ID in %s", body)
	}
	return ts.wait(m[1])
}

// wait returns the item once it is finished.
func (ts *testSite) wait(id string) *Item {
	ts.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		it, err := ts.s.item(context.Background(), id)
		if err != nil {
			ts.t.Fatal(err)
		}
		if it.State.final() {
			return it
		}
		if time.Now().After(deadline) {
			ts.t.Fatalf("item %s still %s", id, it.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readOutput reads output n of item id as the site stored it.
func readOutput(s *Server, id string, n int) ([]byte, error) {
	b, err := s.outputs.Open(context.Background(), id, n)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return io.ReadAll(b)
}
