package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/app/apptest"
	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/internal/meta/pgtest"
	"github.com/mugai-project/mugai/internal/natstest"
	"github.com/mugai-project/mugai/internal/sitetest"
	"github.com/mugai-project/mugai/internal/store"
)

// TestClusterStorageSharedBetweenNodes: two nodes share PostgreSQL and a
// 3-server NATS JetStream cluster. A file uploaded through node 1's
// upload site is sanitized there; once node 1 is shut down, node 2's
// download site lists it and serves the very output node 1's served,
// and node 2 has the original in the cluster's quarantine.
func TestClusterStorageSharedBetweenNodes(t *testing.T) {
	cfg := clusterSites(fmt.Sprintf("database = %q\nnats = %q\n", pgtest.Start(t).NewDatabase(t), natstest.Start(t, 3).URLs()))
	// Node 1 stops half-way: its own data folder.
	node1, stop1 := apptest.StartStop(t, fmt.Sprintf("data_dir = %q\n", filepath.Join(t.TempDir(), "data"))+cfg)
	ctx := context.Background()
	if err := node1.Sites.Users().Add(ctx, auth.User{Name: "alice"}, sitetest.Password); err != nil {
		t.Fatal(err)
	}
	original := []byte("予算の件です。\nこれは本文です。\n")
	up1, down1 := siteURLs(node1)
	up := sitetest.Browse(t, up1, "alice")
	id := up.Upload(t, "memo.txt", original)
	up.WaitDone(t, id, time.Minute)
	served := sitetest.Browse(t, down1, "alice").Get(t, "/files/"+id+"/0")
	stop1()

	node2, _ := startService(t, cfg)
	if _, ok := node2.Quarantine.(*store.JetStream); !ok {
		t.Fatalf("node 2's quarantine is a %T", node2.Quarantine)
	}
	_, down2URL := siteURLs(node2)
	down2 := sitetest.Browse(t, down2URL, "alice")
	if list := down2.Get(t, "/"); !bytes.Contains(list, []byte("memo.txt")) {
		t.Errorf("node 2's download site does not list node 1's upload")
	}
	if got := down2.Get(t, "/files/"+id+"/0"); !bytes.Equal(got, served) {
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
	// The cluster's quarantine is listed from its index in the shared
	// database.
	var rows int
	if err := node2.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM quarantine_index WHERE id = ?`, id).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("index rows of %s: %d, %v", id, rows, err)
	}
	if items, err := node2.Quarantine.List(ctx, store.Filter{Reason: it.Reason, Limit: 10}); err != nil || len(items) != 1 || items[0].ID != id {
		t.Fatalf("node 2 lists %+v, %v; want %s", items, err, id)
	}
}
