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
// several processes can share the file, foreign keys on.
//
// It opens two pools on the file. The DB itself is synchronous=FULL:
// users, lockouts, sessions, the audit trail and the transfer sites'
// items have no other copy to redo them from, so each commit fsyncs
// the log. The relay's rows are written through the second, at
// synchronous=NORMAL (NewSQLite): a commit there survives a crash of
// mugai (kill -9) at once, as every WAL commit does, and a power loss
// once the data folder's barrier has passed, which the relay passes
// before it lets go of the fsynced file each row can be redone from
// (smtpproxy's barrier.go): the row of a processed message before its
// spool file goes, a delivery's before its outbox entry goes. mugai.db
// lives in the data folder, on the file system that barrier syncs.
func OpenDB(ctx context.Context, file string) (*DB, error) {
	db, err := openSQLite(ctx, file, "FULL")
	if err != nil {
		return nil, err
	}
	relaxed, err := openSQLite(ctx, file, "NORMAL")
	if err != nil {
		db.Close()
		return nil, err
	}
	// The relay's writes are group-committed (batch.go): one
	// transaction at a time, so one connection.
	relaxed.SetMaxOpenConns(1)
	return &DB{DB: db, relaxed: relaxed}, nil
}

// openSQLite opens a pool on file whose connections commit at the
// given synchronous level.
func openSQLite(ctx context.Context, file, synchronous string) (*sql.DB, error) {
	dsn := "file:" + file + "?_pragma=journal_mode(WAL)&_pragma=synchronous(" + synchronous + ")&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("meta: %w", err)
	}
	return db, nil
}

// NewSQLite creates the relay's tables in db (opened by OpenDB) if they
// are missing and returns the Store on it, whose writes go through
// db's synchronous=NORMAL pool (OpenDB says why that is enough), but
// for the audit trail's, which stay FULL. The handle stays its opener's
// to close.
func NewSQLite(ctx context.Context, db *DB) (*SQLite, error) {
	if db.Postgres() {
		return nil, errors.New("meta: NewSQLite on a PostgreSQL database")
	}
	if err := db.Migrate(ctx, relaySchema); err != nil {
		return nil, err
	}
	s := &SQLite{w: committer{db: db.relaxed}}
	s.sqlStore = sqlStore{db: db, exec: s.w.exec}
	return s, nil
}
