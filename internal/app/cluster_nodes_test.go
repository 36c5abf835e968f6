package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/internal/meta/pgtest"
)

// TestClusterNodesAreInterchangeable: two nodes with their own data
// folders on one PostgreSQL database, as behind a load balancer. A user
// added on node 1 signs in there, and the same session cookie and CSRF
// token work on node 2; an upload on node 1 is in node 2's list; a
// logout on node 2 ends the session on node 1 too.
func TestClusterNodesAreInterchangeable(t *testing.T) {
	cfg := fmt.Sprintf(`
[log]
level = "error"
[smtp]
listen = "127.0.0.1:0"
domains = ["lg.example.jp"]
[admin]
listen = ""
[web]
upload_listen = "127.0.0.1:0"
download_listen = "127.0.0.1:0"
plain_http = true
[cluster]
database = %q
`, pgtest.Start(t).NewDatabase(t))
	node1, _ := startService(t, cfg)
	node2, _ := startService(t, cfg)
	ctx := context.Background()
	const pw = "correct horse battery"
	if err := node1.Sites.Users().Add(ctx, auth.User{Name: "alice"}, pw); err != nil {
		t.Fatal(err)
	}
	up1, down1 := siteURLs(node1)
	up2, down2 := siteURLs(node2)

	t.Run("download session", func(t *testing.T) {
		cookie := login(t, down1, "mugai_download", "alice", pw)
		page := pageWith(t, down2, cookie, http.StatusOK)
		if !strings.Contains(page, "alice") {
			t.Fatalf("node 2's page for node 1's session does not name alice:\n%s", page)
		}
		pageWith(t, down2, nil, http.StatusSeeOther) // and without it, the login page
		// Node 1's CSRF token, node 2's logout.
		csrf := csrfOf(t, page)
		resp := request(t, http.MethodPost, down2+"/logout", cookie, "application/x-www-form-urlencoded",
			strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Fatalf("logout on node 2: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		pageWith(t, down1, cookie, http.StatusSeeOther)
	})

	t.Run("upload listed on the other node", func(t *testing.T) {
		cookie := login(t, up1, "mugai_upload", "alice", pw)
		csrf := csrfOf(t, pageWith(t, up1, cookie, http.StatusOK))
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		w, _ := mw.CreateFormFile("file", "kaigi-memo.txt")
		io.WriteString(w, "会議のメモ\n")
		mw.Close()
		req := request(t, http.MethodPost, up1+"/upload", cookie, mw.FormDataContentType(), &body, "X-CSRF-Token", csrf)
		if req.StatusCode != http.StatusAccepted {
			t.Fatalf("upload on node 1: %d", req.StatusCode)
		}
		if page := pageWith(t, up2, cookie, http.StatusOK); !strings.Contains(page, "kaigi-memo.txt") {
			t.Fatalf("node 2's list lacks node 1's upload:\n%s", page)
		}
	})
}

func siteURLs(svc *app.Service) (up, down string) {
	u, d := svc.SiteAddrs()
	return "http://" + u.String(), "http://" + d.String()
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"|data-csrf="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", page)
	}
	return m[1] + m[2]
}

// login signs name in on site as a browser does (the login form and its
// CSRF cookie) and returns the session cookie.
func login(t *testing.T, site, cookieName, name, pw string) *http.Cookie {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(site + "/login")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp, err = c.PostForm(site+"/login", url.Values{"csrf": {csrfOf(t, string(b))}, "user": {name}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: status %d", resp.StatusCode)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == cookieName && ck.Value != "" {
			return ck
		}
	}
	t.Fatalf("login set no %s cookie", cookieName)
	return nil
}

// request makes one request with cookie (when not nil) and header pairs,
// following no redirect.
func request(t *testing.T, method, url string, cookie *http.Cookie, contentType string, body io.Reader, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// pageWith gets site's home page with cookie and wants status.
func pageWith(t *testing.T, site string, cookie *http.Cookie, status int) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, site+"/", nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("GET %s/: status %d, want %d", site, resp.StatusCode, status)
	}
	return string(b)
}
