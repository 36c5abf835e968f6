// Package metatest runs a test on each of mugai's databases: a fresh
// SQLite file and a fresh PostgreSQL database on a test server
// (internal/meta/pgtest, skipped where PostgreSQL is missing), so that
// a store's tests are one table run on both.
package metatest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/meta/pgtest"
)

// Each runs test as the subtests "sqlite" and "postgres", each on its
// own empty database, closed when the subtest ends.
func Each(t *testing.T, test func(t *testing.T, db *meta.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { test(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { test(t, Postgres(t, pgtest.Start(t))) })
}

// SQLite opens an empty mugai.db in a temporary folder.
func SQLite(t testing.TB) *meta.DB {
	t.Helper()
	db, err := meta.OpenDB(context.Background(), filepath.Join(t.TempDir(), "mugai.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Postgres opens a new empty database on srv.
func Postgres(t testing.TB, srv *pgtest.Server) *meta.DB {
	t.Helper()
	db, err := meta.OpenPostgres(context.Background(), srv.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
