package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// SQLite is a Store in one SQLite file. Its writes are group-committed
// (batch.go): each returns after its own commit, and concurrent writers
// share one.
type SQLite struct {
	sqlStore
	w committer
}

var _ Store = (*SQLite)(nil)

// OpenDB opens (creating if needed) mugai.db the one way every part of
// mugai shares it, the server and the command-line tools alike: WAL
// journal so readers never block the writer, a 10 s busy timeout so
// several processes can share the file, foreign keys on, and
// synchronous=FULL. FULL because users, lockouts, sessions and the audit
// trail have no other copy to redo them from; the relay's rows could do
// with NORMAL (its fsynced spool and outbox are its source of truth) but
// share the handle and so its level, and are group-committed instead
// (batch.go): one commit for the writes of every message in flight.
func OpenDB(ctx context.Context, file string) (*DB, error) {
	dsn := "file:" + file + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("meta: %w", err)
	}
	return &DB{DB: db}, nil
}

// NewSQLite creates the relay's tables in db (opened by OpenDB) if they
// are missing and returns the Store on it. The handle stays its
// opener's to close.
func NewSQLite(ctx context.Context, db *DB) (*SQLite, error) {
	if db.Postgres() {
		return nil, errors.New("meta: NewSQLite on a PostgreSQL database")
	}
	if err := db.Migrate(ctx, relaySchema); err != nil {
		return nil, err
	}
	s := &SQLite{w: committer{db: db.DB}}
	s.sqlStore = sqlStore{db: db, exec: s.w.exec}
	return s, nil
}
