package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/clamd"
	"github.com/mugai-project/mugai/internal/config"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/store"
)

// TestOperationsStatusAndRelease: the console's view of the relay reads
// the outbox in the data folder, and a release queues the original in
// it, audited in the relay's trail, as `mugai quarantine release` does.
func TestOperationsStatusAndRelease(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	q, err := store.NewFS(filepath.Join(data, "quarantine"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := OpenDB(ctx, &config.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	md, err := meta.NewSQLite(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	// A clamd that does not answer: nothing listens on this socket.
	sc, err := clamd.New(clamd.Options{Network: "unix", Address: filepath.Join(data, "no-clamd.sock")})
	if err != nil {
		t.Fatal(err)
	}
	outboxDir := filepath.Join(data, "outbox")
	ops := NewOperations(data, outboxDir, q, md, sc)

	st, err := ops.Status(ctx)
	if err != nil || st.QueueDepth != 0 || st.DiskFree <= 0 || !st.Scanner || st.ScannerErr == "" {
		t.Fatalf("empty: %+v, %v", st, err)
	}
	id, err := q.Put(ctx, store.Item{Name: "message.eml", Reason: "encrypted", Source: "smtp", RetainUntil: time.Now().Add(time.Hour),
		Meta: map[string]string{"from": "a@example.net", "to": `["alice@city.lg.jp"]`}}, strings.NewReader("Subject: x\r\n\r\nbody\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	up, err := q.Put(ctx, store.Item{Name: "a.zip", Reason: "encrypted", Source: "upload", RetainUntil: time.Now().Add(time.Hour)}, strings.NewReader("zip"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(outboxDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.Release(ctx, up, "dave"); err == nil {
		t.Fatal("an upload was released by mail")
	}
	qid, err := ops.Release(ctx, id, "dave")
	if err != nil {
		t.Fatal(err)
	}
	if it, _, _ := q.Get(ctx, id); it.State != store.Released || it.StateBy != "dave" {
		t.Errorf("after release: %s by %q", it.State, it.StateBy)
	}
	if evs, _ := md.Events(ctx, id); len(evs) != 1 || evs[0].Actor != "dave" || evs[0].Action != "quarantine-release" {
		t.Errorf("relay's trail: %+v", evs)
	}
	st, err = ops.Status(ctx)
	if err != nil || st.QueueDepth != 1 || st.QueueOldest.IsZero() || st.Failing != 0 {
		t.Fatalf("after release: %+v, %v", st, err)
	}
	if qid != id+"-release" {
		t.Errorf("queue entry %s", qid)
	}
}
