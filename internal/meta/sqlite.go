package meta

import (
	"context"
	"database/sql"
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

const schema = `
CREATE TABLE IF NOT EXISTS messages (
	id TEXT PRIMARY KEY,
	received TEXT NOT NULL,
	sender TEXT NOT NULL,
	rcpts TEXT NOT NULL,
	client_ip TEXT NOT NULL DEFAULT '',
	size INTEGER NOT NULL DEFAULT 0,
	sha256 TEXT NOT NULL DEFAULT '',
	outcome TEXT NOT NULL DEFAULT '',
	reason TEXT NOT NULL DEFAULT '',
	kind TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT '',
	updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_state ON messages(state, received);
CREATE TABLE IF NOT EXISTS attempts (
	message_id TEXT NOT NULL,
	time TEXT NOT NULL,
	rcpt TEXT NOT NULL,
	result TEXT NOT NULL,
	reply TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS attempts_message ON attempts(message_id, time);
CREATE TABLE IF NOT EXISTS audit (
	time TEXT NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_target ON audit(target, time);
`

// OpenDB opens (creating if needed) mugai.db the one way every part of
// mugai shares it, the server and the command-line tools alike: WAL
// journal so readers never block the writer, a 10 s busy timeout so
// several processes can share the file, foreign keys on, and
// synchronous=FULL. FULL because users, lockouts, sessions and the audit
// trail have no other copy to redo them from; the relay's rows could do
// with NORMAL (its fsynced spool and outbox are its source of truth) but
// share the handle and so its level, and are group-committed instead
// (batch.go): one commit for the writes of every message in flight.
func OpenDB(ctx context.Context, file string) (*sql.DB, error) {
	dsn := "file:" + file + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
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
// are missing and returns the Store on it. The handle stays its
// opener's to close.
func NewSQLite(ctx context.Context, db *sql.DB) (*SQLite, error) {
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return nil, fmt.Errorf("meta: creating the schema: %w", err)
	}
	s := &SQLite{w: committer{db: db}}
	s.sqlStore = sqlStore{db: db, exec: s.w.exec, stamp: textStamp}
	return s, nil
}
