package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/internal/config"
	"github.com/mugai-project/mugai/internal/freeport"
	"github.com/mugai-project/mugai/internal/meta/pgtest"
	"github.com/mugai-project/mugai/internal/natstest"
	"github.com/mugai-project/mugai/internal/store"
)

// TestClusterStorageSharedBetweenNodes: two nodes share PostgreSQL and a
// 3-server NATS JetStream cluster. A file uploaded through node 1's
// upload site is sanitized there; once node 1 is shut down, node 2's
// download site lists it and serves the very output node 1's served,
// and node 2 has the original in the cluster's quarantine.
func TestClusterStorageSharedBetweenNodes(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	nc := natstest.Start(t, 3)
	node := func() (*app.Service, config.Config, context.CancelFunc, chan error) {
		c := config.Default()
		c.DataDir = filepath.Join(t.TempDir(), "data")
		c.Log.Level = "error"
		c.SMTP.Listen, c.Admin.Listen = "127.0.0.1:0", ""
		c.Web.UploadListen, c.Web.DownloadListen, c.Web.PlainHTTP = freeport.Addr(t), freeport.Addr(t), true
		c.Cluster.Database, c.Cluster.NATS = db, nc.URLs()
		if err := app.Check(&c); err != nil {
			t.Fatal(err)
		}
		svc, err := app.New(context.Background(), c, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan error, 1)
		go func() { ran <- svc.Run(ctx) }()
		return svc, c, cancel, ran
	}
	node1, cfg1, stop1, ran1 := node()
	ctx := context.Background()
	if err := node1.Sites.Users().Add(ctx, auth.User{Name: "alice"}, "correct horse battery staple"); err != nil {
		t.Fatal(err)
	}
	original := []byte("予算の件です。\nこれは本文です。\n")
	up := browse(t, "http://"+cfg1.Web.UploadListen, "alice")
	id := uploadFile(t, up, "memo.txt", original)
	waitDone(t, up, id)
	down := browse(t, "http://"+cfg1.Web.DownloadListen, "alice")
	served := get(t, down, "/files/"+id+"/0")

	stop1()
	if err := <-ran1; err != nil {
		t.Fatalf("node 1 Run: %v", err)
	}
	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	defer scancel()
	if err := node1.Shutdown(sctx); err != nil {
		t.Fatalf("node 1 Shutdown: %v", err)
	}

	node2, cfg2, stop2, ran2 := node()
	defer func() {
		stop2()
		<-ran2
		node2.Shutdown(sctx)
	}()
	if _, ok := node2.Quarantine.(*store.JetStream); !ok {
		t.Fatalf("node 2's quarantine is a %T", node2.Quarantine)
	}
	down2 := browse(t, "http://"+cfg2.Web.DownloadListen, "alice")
	if list := get(t, down2, "/"); !bytes.Contains(list, []byte("memo.txt")) {
		t.Errorf("node 2's download site does not list node 1's upload")
	}
	if got := get(t, down2, "/files/"+id+"/0"); !bytes.Equal(got, served) {
		t.Errorf("node 2's download site serves %q; node 1 served %q", got, served)
	}
	blob, err := node2.Outputs.Open(ctx, id, 0)
	if err != nil {
		t.Fatalf("node 2 cannot open node 1's output: %v", err)
	}
	got, err := io.ReadAll(blob)
	blob.Close()
	if err != nil || !bytes.Equal(got, served) || len(got) == 0 {
		t.Fatalf("node 2 reads %q (%v); node 1 served %q", got, err, served)
	}
	it, rc, err := node2.Quarantine.Get(ctx, id)
	if err != nil {
		t.Fatalf("node 2 cannot get node 1's original: %v", err)
	}
	kept, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(kept, original) || it.Source != "upload" {
		t.Fatalf("node 2's original: %q (%v), item %+v", kept, err, it)
	}
}

// client is a browser on a site: its cookies and CSRF token.
type client struct {
	c    *http.Client
	base string
	csrf string
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"|data-csrf="([^"]+)"`)

func get(t *testing.T, c *client, path string) []byte {
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

// browse signs user in on the site at base and returns the browser.
func browse(t *testing.T, base, user string) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	get(t, c, "/login")
	resp, err := c.c.PostForm(base+"/login", url.Values{"csrf": {c.csrf}, "user": {user}, "password": {"correct horse battery staple"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	get(t, c, "/")
	return c
}

func uploadFile(t *testing.T, c *client, name string, content []byte) string {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
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

// waitDone waits until the upload site says item id is done.
func waitDone(t *testing.T, c *client, id string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		var out struct {
			Items []struct{ ID, State string }
		}
		if err := json.Unmarshal(get(t, c, "/api/items"), &out); err != nil {
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
