package meta

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func openTestSQLite(t *testing.T) *SQLite {
	t.Helper()
	ctx := context.Background()
	h, err := OpenDB(ctx, filepath.Join(t.TempDir(), "mugai.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	db, err := NewSQLite(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestGroupCommitConcurrentWriters has many writers at once, some of
// whose statements fail: every good write lands and returns its own
// result, every bad one fails alone.
func TestGroupCommitConcurrentWriters(t *testing.T) {
	db := openTestSQLite(t)
	ctx := context.Background()
	const writers = 64
	var wg sync.WaitGroup
	errs := make([]error, writers)
	bad := make([]error, writers)
	missing := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("m%03d", i)
			if err := db.PutMessage(ctx, Message{ID: id, Received: time.Now(), From: "a@example.com", To: []string{"b@lg.jp"}, State: Queued}); err != nil {
				errs[i] = err
				return
			}
			if err := db.AddAttempt(ctx, Attempt{MessageID: id, Rcpt: "b@lg.jp", Result: "delivered"}); err != nil {
				errs[i] = err
				return
			}
			_, bad[i] = db.w.exec(ctx, `INSERT INTO no_such_table VALUES (1)`)
			missing[i] = db.SetState(ctx, "unknown-"+id, Delivered, "")
			errs[i] = db.SetState(ctx, id, Delivered, "250 ok")
		}()
	}
	wg.Wait()
	for i := range writers {
		if errs[i] != nil {
			t.Fatalf("writer %d: %v", i, errs[i])
		}
		if bad[i] == nil {
			t.Errorf("writer %d: a statement on a missing table succeeded", i)
		}
		if !errors.Is(missing[i], ErrNotFound) {
			t.Errorf("writer %d: SetState on an unknown ID: %v, want ErrNotFound", i, missing[i])
		}
	}
	all, err := db.Messages(ctx, Filter{State: Delivered})
	if err != nil || len(all) != writers {
		t.Fatalf("%d delivered rows (%v), want %d", len(all), err, writers)
	}
	for _, m := range all {
		if a, _ := db.Attempts(ctx, m.ID); len(a) != 1 {
			t.Fatalf("%s: attempts %v", m.ID, a)
		}
	}
}

// TestGroupCommitCancelledBeforeQueue: a write whose context is done
// before it is queued is not made.
func TestGroupCommitCancelledBeforeQueue(t *testing.T) {
	db := openTestSQLite(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.PutMessage(ctx, Message{ID: "x", Received: time.Now(), State: Queued}); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if _, err := db.Message(context.Background(), "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the cancelled write landed: %v", err)
	}
}
