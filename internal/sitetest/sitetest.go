// Package sitetest is a browser on mugai's transfer sites for tests
// that run them whole (internal/app, cmd/mugai): it signs in, uploads,
// waits for an item, fetches pages and posts forms, on one node or, with
// the same session, on another, over plain HTTP on loopback.
package sitetest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Password is the password Browse signs in with.
const Password = "correct horse battery staple"

// Client is a browser on a site: its cookies and CSRF token.
type Client struct {
	c    *http.Client
	base string
	csrf string
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"|data-csrf="([^"]+)"`)

// Get fetches path, fails the test unless it answers 200, and keeps
// the page's CSRF token.
func (c *Client) Get(t testing.TB, path string) []byte {
	t.Helper()
	resp, err := c.c.Get(c.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	if m := csrfRE.FindSubmatch(b); m != nil {
		c.csrf = string(m[1]) + string(m[2])
	}
	return b
}

// Status fetches path and returns its status, following no redirect.
func (c *Client) Status(t testing.TB, path string) int {
	t.Helper()
	resp, err := c.c.Get(c.base + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Post sends form with the CSRF token to path and returns the status
// and the Location header, following no redirect.
func (c *Client) Post(t testing.TB, path string, form url.Values) (status int, location string) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", c.csrf)
	resp, err := c.c.PostForm(c.base+path, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// Visit is a browser on the site at base that has not signed in.
func Visit(base string) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// At is the same browser reaching the site at base, as behind a load
// balancer: a copy of its cookies (so that what base sets or clears
// leaves c's own) and its CSRF token.
func (c *Client) At(t testing.TB, base string) *Client {
	t.Helper()
	from, err := url.Parse(c.base)
	if err != nil {
		t.Fatal(err)
	}
	to, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	d := Visit(base)
	d.c.Jar.SetCookies(to, c.c.Jar.Cookies(from))
	d.csrf = c.csrf
	return d
}

// Browse signs user in with Password on the site at base and returns
// the browser.
func Browse(t testing.TB, base, user string) *Client {
	t.Helper()
	c := Visit(base)
	c.Get(t, "/login")
	resp, err := c.c.PostForm(base+"/login", url.Values{"csrf": {c.csrf}, "user": {user}, "password": {Password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	c.Get(t, "/")
	return c
}

// Upload sends one file to the upload site, for the users to if any,
// and returns its item's ID once the site has answered 202.
func (c *Client) Upload(t testing.TB, name string, content []byte, to ...string) string {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if len(to) > 0 {
		mw.WriteField("to", strings.Join(to, ","))
	}
	w, _ := mw.CreateFormFile("file", name)
	w.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", c.base+"/upload", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", c.csrf)
	resp, err := c.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Items []struct{ ID string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusAccepted || len(out.Items) != 1 {
		t.Fatalf("upload: %d, %v, %+v", resp.StatusCode, err, out)
	}
	return out.Items[0].ID
}

// WaitDone waits until the upload site says item id is done, for at
// most wait.
func (c *Client) WaitDone(t testing.TB, id string, wait time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(wait); ; time.Sleep(50 * time.Millisecond) {
		var out struct {
			Items []struct{ ID, State string }
		}
		if err := json.Unmarshal(c.Get(t, "/api/items"), &out); err != nil {
			t.Fatal(err)
		}
		for _, it := range out.Items {
			if it.ID == id && it.State == "done" {
				return
			}
			if it.ID == id && it.State != "received" && it.State != "processing" {
				t.Fatalf("item %s: %s", id, it.State)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("item %s not done: %+v", id, out)
		}
	}
}
