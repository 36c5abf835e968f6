package meta

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/mugai-project/mugai/internal/meta/pgtest"
)

// TestMigrateNodesAtOnce: several nodes starting at once on an empty
// database end with one schema, each version applied once, and every
// node's store works on it.
func TestMigrateNodesAtOnce(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	ctx := context.Background()
	const nodes = 6
	var wg sync.WaitGroup
	stores := make([]*Postgres, nodes)
	errs := make([]error, nodes)
	start := make(chan struct{})
	for i := range nodes {
		h, err := OpenPostgres(ctx, url) // each node its own pool
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stores[i], errs[i] = NewPostgres(ctx, h)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
	}
	var versions, applied int
	if err := stores[0].db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&applied, &versions); err != nil {
		t.Fatal(err)
	}
	if applied != len(pgMigrations) || versions != len(pgMigrations) {
		t.Fatalf("schema_migrations has %d rows of %d versions, want %d", applied, versions, len(pgMigrations))
	}
	for i, s := range stores {
		if err := s.PutMessage(ctx, Message{ID: "m", State: Queued}); err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
	}
	if all, _ := stores[nodes-1].Messages(ctx, Filter{}); len(all) != 1 {
		t.Fatalf("%d rows, want 1", len(all))
	}
}

// TestMigrateRefusesNewerSchema: a node older than the database's
// schema does not start on tables it does not know.
func TestMigrateRefusesNewerSchema(t *testing.T) {
	srv := pgtest.Start(t)
	ctx := context.Background()
	h, err := OpenPostgres(ctx, srv.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	newer := append(pgMigrations[:len(pgMigrations):len(pgMigrations)], `CREATE TABLE later (x INTEGER)`)
	if err := migrate(ctx, h, newer); err != nil {
		t.Fatal(err)
	}
	if _, err := NewPostgres(ctx, h); err == nil || !strings.Contains(err.Error(), "this mugai knows up to") {
		t.Fatalf("an older node started on a newer schema: %v", err)
	}
	// A failed version leaves neither its tables nor its row.
	broken := append(newer[:len(newer):len(newer)], `CREATE TABLE half (x INTEGER); NOT SQL`)
	if err := migrate(ctx, h, broken); err == nil {
		t.Fatal("a broken version applied")
	}
	var n int
	h.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'half'`).Scan(&n)
	var v int
	h.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	if n != 0 || v != len(newer) {
		t.Fatalf("after a failed version: table half %d, version %d, want 0 and %d", n, v, len(newer))
	}
}
