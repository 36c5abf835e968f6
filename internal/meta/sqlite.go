package meta

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// SQLite is a Store in one SQLite file. Its writes are group-committed
// (batch.go): each returns after its own commit, and concurrent writers
// share one.
type SQLite struct {
	db *sql.DB
	w  committer
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
	return &SQLite{db: db, w: committer{db: db}}, nil
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// PutMessage implements Store.
func (s *SQLite) PutMessage(ctx context.Context, m Message) error {
	if m.Updated.IsZero() {
		m.Updated = time.Now()
	}
	to, _ := json.Marshal(m.To)
	_, err := s.w.exec(ctx, `INSERT INTO messages (id, received, sender, rcpts, client_ip, size, sha256, outcome, reason, kind, state, detail, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET received=excluded.received, sender=excluded.sender, rcpts=excluded.rcpts,
		client_ip=excluded.client_ip, size=excluded.size, sha256=excluded.sha256, outcome=excluded.outcome,
		reason=excluded.reason, kind=excluded.kind, state=excluded.state, detail=excluded.detail, updated=excluded.updated`,
		m.ID, ts(m.Received), m.From, string(to), m.ClientIP, m.Size, m.SHA256, m.Outcome, m.Reason, m.Kind, m.State, m.Detail, ts(m.Updated))
	if err != nil {
		return fmt.Errorf("meta: %w", err)
	}
	return nil
}

// SetState implements Store.
func (s *SQLite) SetState(ctx context.Context, id, state, detail string) error {
	n, err := s.w.exec(ctx, `UPDATE messages SET state=?, detail=?, updated=? WHERE id=?`, state, detail, ts(time.Now()), id)
	if err != nil {
		return fmt.Errorf("meta: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

const msgCols = `id, received, sender, rcpts, client_ip, size, sha256, outcome, reason, kind, state, detail, updated`

func scanMessage(sc interface{ Scan(...any) error }) (Message, error) {
	var m Message
	var rec, to, upd string
	err := sc.Scan(&m.ID, &rec, &m.From, &to, &m.ClientIP, &m.Size, &m.SHA256, &m.Outcome, &m.Reason, &m.Kind, &m.State, &m.Detail, &upd)
	if err != nil {
		return m, err
	}
	m.Received, m.Updated = parseTS(rec), parseTS(upd)
	json.Unmarshal([]byte(to), &m.To)
	return m, nil
}

// Message implements Store.
func (s *SQLite) Message(ctx context.Context, id string) (Message, error) {
	m, err := scanMessage(s.db.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages WHERE id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNotFound
	}
	if err != nil {
		return m, fmt.Errorf("meta: %w", err)
	}
	return m, nil
}

// Messages implements Store, oldest first.
func (s *SQLite) Messages(ctx context.Context, f Filter) ([]Message, error) {
	q := `SELECT ` + msgCols + ` FROM messages`
	var args []any
	if f.State != "" {
		q += ` WHERE state=?`
		args = append(args, f.State)
	}
	q += ` ORDER BY received, id`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("meta: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// AddAttempt implements Store.
func (s *SQLite) AddAttempt(ctx context.Context, a Attempt) error {
	if a.Time.IsZero() {
		a.Time = time.Now()
	}
	_, err := s.w.exec(ctx, `INSERT INTO attempts (message_id, time, rcpt, result, reply) VALUES (?, ?, ?, ?, ?)`,
		a.MessageID, ts(a.Time), a.Rcpt, a.Result, a.Reply)
	if err != nil {
		return fmt.Errorf("meta: %w", err)
	}
	return nil
}

// Attempts implements Store.
func (s *SQLite) Attempts(ctx context.Context, id string) ([]Attempt, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT message_id, time, rcpt, result, reply FROM attempts WHERE message_id=? ORDER BY time`, id)
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var a Attempt
		var t string
		if err := rows.Scan(&a.MessageID, &t, &a.Rcpt, &a.Result, &a.Reply); err != nil {
			return nil, fmt.Errorf("meta: %w", err)
		}
		a.Time = parseTS(t)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Audit implements Store.
func (s *SQLite) Audit(ctx context.Context, e Event) error {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	_, err := s.w.exec(ctx, `INSERT INTO audit (time, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`,
		ts(e.Time), e.Actor, e.Action, e.Target, e.Detail)
	if err != nil {
		return fmt.Errorf("meta: %w", err)
	}
	return nil
}

// Events implements Store.
func (s *SQLite) Events(ctx context.Context, target string) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT time, actor, action, target, detail FROM audit WHERE target=? ORDER BY time`, target)
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var t string
		if err := rows.Scan(&t, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, fmt.Errorf("meta: %w", err)
		}
		e.Time = parseTS(t)
		out = append(out, e)
	}
	return out, rows.Err()
}
