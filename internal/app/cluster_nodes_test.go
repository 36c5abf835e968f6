package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/internal/meta/pgtest"
	"github.com/mugai-project/mugai/internal/sitetest"
)

// TestClusterNodesAreInterchangeable: two nodes with their own data
// folders on one PostgreSQL database, as behind a load balancer. A user
// added on node 1 signs in there, and the same session cookie and CSRF
// token work on node 2; an upload on node 1 is in node 2's list; a
// logout on node 2 ends the session on node 1 too.
func TestClusterNodesAreInterchangeable(t *testing.T) {
	cfg := clusterSites(fmt.Sprintf("database = %q\n", pgtest.Start(t).NewDatabase(t)))
	node1, _ := startService(t, cfg)
	node2, _ := startService(t, cfg)
	ctx := context.Background()
	if err := node1.Sites.Users().Add(ctx, auth.User{Name: "alice"}, sitetest.Password); err != nil {
		t.Fatal(err)
	}
	up1, down1 := siteURLs(node1)
	up2, down2 := siteURLs(node2)

	t.Run("download session", func(t *testing.T) {
		on1 := sitetest.Browse(t, down1, "alice")
		on2 := on1.At(t, down2) // node 1's cookie and CSRF token
		if page := on2.Get(t, "/"); !strings.Contains(string(page), "alice") {
			t.Fatalf("node 2's page for node 1's session does not name alice:\n%s", page)
		}
		if st := sitetest.Visit(down2).Status(t, "/"); st != http.StatusSeeOther {
			t.Fatalf("node 2 without the session: %d, want the login page's redirect", st)
		}
		// Node 1's CSRF token, node 2's logout.
		if st, loc := on2.Post(t, "/logout", nil); st != http.StatusSeeOther || loc != "/login" {
			t.Fatalf("logout on node 2: %d %s", st, loc)
		}
		// on1 still sends the cookie node 2's logout cleared in on2.
		if st := on1.Status(t, "/"); st != http.StatusSeeOther {
			t.Fatalf("node 1 after the logout on node 2: %d, want the login page's redirect", st)
		}
	})

	t.Run("upload listed on the other node", func(t *testing.T) {
		on1 := sitetest.Browse(t, up1, "alice")
		on1.Upload(t, "kaigi-memo.txt", []byte("会議のメモ\n"))
		if page := on1.At(t, up2).Get(t, "/"); !strings.Contains(string(page), "kaigi-memo.txt") {
			t.Fatalf("node 2's list lacks node 1's upload:\n%s", page)
		}
	})
}

// clusterSites is the configuration of a node with its sites on plain
// HTTP and the [cluster] settings given.
func clusterSites(cluster string) string {
	return `
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
` + cluster
}

func siteURLs(svc *app.Service) (up, down string) {
	u, d := svc.SiteAddrs()
	return "http://" + u.String(), "http://" + d.String()
}
