package meta

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mugai-project/mugai/internal/meta/pgtest"
)

// TestLeadOneNodeAtATime: while one node runs a duty, another node's
// run of the same duty is skipped and another duty runs; once the first
// is done, the second node gets it.
func TestLeadOneNodeAtATime(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Start(t).NewDatabase(t)
	node := func() *DB {
		db, err := OpenPostgres(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	n1, n2 := node(), node()
	inside, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		ran, err := n1.Lead(ctx, "sweep", func(context.Context) error {
			close(inside)
			<-release
			return nil
		})
		if err == nil && !ran {
			t.Error("node 1 did not get the free duty")
		}
		done <- err
	}()
	<-inside
	ran, err := n2.Lead(ctx, "sweep", func(context.Context) error {
		t.Error("node 2 ran the sweep while node 1 held it")
		return nil
	})
	if err != nil || ran {
		t.Fatalf("node 2 while node 1 sweeps: ran %v, err %v", ran, err)
	}
	if ran, err := n2.Lead(ctx, "purge", func(context.Context) error { return nil }); err != nil || !ran {
		t.Fatalf("another duty: ran %v, err %v", ran, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ran, err := n2.Lead(ctx, "sweep", func(context.Context) error { return nil }); err != nil || !ran {
		t.Fatalf("node 2 after node 1: ran %v, err %v", ran, err)
	}
}

// TestLeadSQLite: on one machine a duty just runs.
func TestLeadSQLite(t *testing.T) {
	db, err := OpenDB(context.Background(), filepath.Join(t.TempDir(), "mugai.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	calls := 0
	for range 2 {
		if ran, err := db.Lead(context.Background(), "sweep", func(context.Context) error { calls++; return nil }); err != nil || !ran {
			t.Fatalf("ran %v, err %v", ran, err)
		}
	}
	if calls != 2 {
		t.Fatalf("%d runs, want 2", calls)
	}
}
