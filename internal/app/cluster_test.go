package app_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/config"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/meta/pgtest"
)

// TestClusterDatabase: with cluster.database set, the relay's rows are
// in PostgreSQL and there is no mugai.db.
func TestClusterDatabase(t *testing.T) {
	url := pgtest.Start(t).NewDatabase(t)
	svc, data := startService(t, fmt.Sprintf(`
[log]
level = "error"
[smtp]
listen = "127.0.0.1:0"
domains = ["lg.example.jp"]
[deliver]
scan_interval = "100ms"
[admin]
listen = ""
[web]
upload_listen = ""
download_listen = ""
[cluster]
database = %q
`, url))
	if _, ok := svc.Relay.Meta().(*meta.Postgres); !ok {
		t.Fatalf("the relay's store is a %T", svc.Relay.Meta())
	}
	send(t, svc.Relay.Addr().String(), []byte("From: a@example.com\r\nTo: staff@lg.example.jp\r\nSubject: hi\r\n\r\nhello\r\n"))
	if body := delivered(t, data); !strings.Contains(body, "hello") {
		t.Fatalf("delivered %q", body)
	}
	ctx := context.Background()
	h, err := meta.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	pg, err := meta.NewPostgres(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ms, _ := pg.Messages(ctx, meta.Filter{State: meta.Delivered})
		if len(ms) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivered rows in PostgreSQL: %v", ms)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// On a cluster there is no mugai.db at all: everything is in PostgreSQL.
	if !svc.DB.Postgres() {
		t.Fatal("the service's database is not the cluster's")
	}
	if _, err := os.Stat(filepath.Join(data, "mugai.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("mugai.db on a cluster node: %v", err)
	}
}

// TestClusterDatabaseDown: a node whose database cannot be reached does
// not start.
func TestClusterDatabaseDown(t *testing.T) {
	c := config.Default()
	c.DataDir = filepath.Join(t.TempDir(), "data")
	c.SMTP.Listen, c.Admin.Listen, c.Web.UploadListen, c.Web.DownloadListen = "127.0.0.1:0", "", "", ""
	c.Cluster.Database = "postgres://mugai@127.0.0.1:1/mugai?sslmode=disable&connect_timeout=2"
	svc, err := app.New(context.Background(), c, app.Options{})
	if err == nil {
		svc.Shutdown(context.Background())
		t.Fatal("started without its database")
	}
	if !strings.Contains(err.Error(), "PostgreSQL") {
		t.Fatalf("err %v", err)
	}
}
