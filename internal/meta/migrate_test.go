package meta

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

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
	if err := stores[0].db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations WHERE part = 'relay'`).Scan(&applied, &versions); err != nil {
		t.Fatal(err)
	}
	if want := len(relaySchema.Versions); applied != want || versions != want {
		t.Fatalf("schema_migrations has %d rows of %d versions, want %d", applied, versions, want)
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
	newer := relaySchema
	newer.Versions = append(newer.Versions[:len(newer.Versions):len(newer.Versions)], `CREATE TABLE later (x INTEGER)`)
	if err := h.Migrate(ctx, newer); err != nil {
		t.Fatal(err)
	}
	if _, err := NewPostgres(ctx, h); err == nil || !strings.Contains(err.Error(), "this mugai knows up to") {
		t.Fatalf("an older node started on a newer schema: %v", err)
	}
	// A failed version leaves neither its tables nor its row.
	broken := newer
	broken.Versions = append(newer.Versions[:len(newer.Versions):len(newer.Versions)], `CREATE TABLE half (x INTEGER); NOT SQL`)
	if err := h.Migrate(ctx, broken); err == nil {
		t.Fatal("a broken version applied")
	}
	var n int
	h.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'half'`).Scan(&n)
	var v int
	h.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations WHERE part = 'relay'`).Scan(&v)
	if n != 0 || v != len(newer.Versions) {
		t.Fatalf("after a failed version: table half %d, version %d, want 0 and %d", n, v, len(newer.Versions))
	}
}

// TestMigrateParts: each part keeps its own versions, and a database
// whose schema_migrations predates parts (the relay's rows alone, keyed
// by version) keeps them as the relay's and takes the other parts'.
func TestMigrateParts(t *testing.T) {
	ctx := context.Background()
	h, err := OpenPostgres(ctx, pgtest.Start(t).NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	// The table and row as a mugai of the relay's tables alone left them.
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied TIMESTAMPTZ NOT NULL DEFAULT now())`,
		pgTypes.Replace(relaySchema.Versions[0]),
		`INSERT INTO schema_migrations (version) VALUES (1)`,
	} {
		if _, err := h.DB.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := NewPostgres(ctx, h); err != nil {
		t.Fatal(err)
	}
	other := Schema{Part: "other", Versions: []string{`CREATE TABLE other (id TEXT PRIMARY KEY, at {time}, done {bool})`},
		Columns: map[string][]Column{"other": {{Name: "note", Decl: "TEXT NOT NULL DEFAULT ''"}}}}
	for range 2 { // a second start finds it current
		if err := h.Migrate(ctx, other); err != nil {
			t.Fatal(err)
		}
	}
	rows := map[string]int{}
	r, err := h.QueryContext(ctx, `SELECT part, COUNT(*) FROM schema_migrations GROUP BY part`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var p string
		var n int
		r.Scan(&p, &n)
		rows[p] = n
	}
	r.Close()
	if rows["relay"] != 1 || rows["other"] != 1 || len(rows) != 2 {
		t.Fatalf("versions by part %v, want relay 1 and other 1", rows)
	}
	if _, err := h.ExecContext(ctx, `INSERT INTO other (id, at, done, note) VALUES (?, ?, TRUE, ?)`, "a", h.Stamp(time.Now()), "n"); err != nil {
		t.Fatalf("the added column: %v", err)
	}
}
