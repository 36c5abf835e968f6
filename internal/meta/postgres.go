package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Postgres is a Store in a PostgreSQL database that several mugai
// nodes share. Each write is its own transaction (autocommit): the
// server commits concurrent transactions together itself
// (commit_delay), so there is no group commit here as for SQLite.
type Postgres struct {
	sqlStore
}

var _ Store = (*Postgres)(nil)

// OpenPostgres connects to the database at url (postgres://user@host/db?…)
// through pgx. The handle is the caller's to close.
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("meta: PostgreSQL: %w", err)
	}
	return &DB{DB: db, pg: true}, nil
}

// NewPostgres brings db's schema to this mugai's version (migrate.go;
// one node at a time) and returns the Store on it. The handle stays its
// opener's to close.
func NewPostgres(ctx context.Context, db *DB) (*Postgres, error) {
	if !db.Postgres() {
		return nil, errors.New("meta: NewPostgres on an SQLite database")
	}
	if err := db.Migrate(ctx, relaySchema); err != nil {
		return nil, err
	}
	exec := func(ctx context.Context, query string, args ...any) (int64, error) {
		res, err := db.ExecContext(ctx, query, args...)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	return &Postgres{sqlStore{db: db, exec: exec}}, nil
}
