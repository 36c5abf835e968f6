package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/config"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/meta/pgtest"
	"github.com/mugai-project/mugai/smtpproxy"
)

// TestQueueDeleteOnCluster: with cluster.database set, `mugai queue
// delete` records its audit row and the deleted state in PostgreSQL,
// where the relay's rows are: the state set on the entry's row, or, for
// an entry with none (a release), a row made deleted, which the relay
// holding its job honours (smtpproxy's
// TestJetStreamDeletedHeldJobNeverDelivered).
func TestQueueDeleteOnCluster(t *testing.T) {
	url := pgtest.Start(t).NewDatabase(t)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "mugai.toml")
	if err := os.WriteFile(cfgFile, []byte(fmt.Sprintf("data_dir = %q\n[cluster]\ndatabase = %q\n", filepath.Join(dir, "data"), url)), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	_, outboxDir, _, _ := app.RelayOptions(&c).Dirs()
	if err := os.MkdirAll(outboxDir, 0o700); err != nil {
		t.Fatal(err)
	}
	ob, err := smtpproxy.OpenOutbox(outboxDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h, err := meta.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	md, err := meta.NewPostgres(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	for _, withRow := range []bool{true, false} {
		item := fmt.Sprintf("m-%v", withRow)
		id, err := ob.Release(ctx, md, item, "a@example.com", []string{"b@lg.example.jp"}, strings.NewReader("Subject: x\r\n\r\nx\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		if withRow {
			if err := md.PutMessage(ctx, meta.Message{ID: id, Received: time.Now(), State: meta.Queued}); err != nil {
				t.Fatal(err)
			}
		}
		var out bytes.Buffer
		if code := runQueue(ctx, []string{"-config", cfgFile, "-by", "admin", "delete", id}, &out, &out); code != exitOK {
			t.Fatalf("exit %d: %s", code, out.String())
		}
		if m, err := md.Message(ctx, id); err != nil || m.State != meta.Deleted || m.Detail != "deleted by admin" {
			t.Fatalf("row %+v, %v: want deleted by admin", m, err)
		}
		if e, _ := md.Events(ctx, id); len(e) != 1 || e[0].Action != "queue-delete" || e[0].Actor != "admin" {
			t.Fatalf("events %+v", e)
		}
		if _, _, err := ob.Get(id); err == nil {
			t.Fatalf("%s still queued", id)
		}
	}
}
