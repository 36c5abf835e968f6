package meta

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// relaySchema is the relay's tables: the messages, their delivery
// attempts, the audit log of administrator actions.
var relaySchema = Schema{Part: "relay", Versions: []string{
	// 1
	`CREATE TABLE IF NOT EXISTS messages (
		id TEXT PRIMARY KEY,
		received {time},
		sender TEXT NOT NULL,
		rcpts TEXT NOT NULL,
		client_ip TEXT NOT NULL DEFAULT '',
		size BIGINT NOT NULL DEFAULT 0,
		sha256 TEXT NOT NULL DEFAULT '',
		outcome TEXT NOT NULL DEFAULT '',
		reason TEXT NOT NULL DEFAULT '',
		kind TEXT NOT NULL DEFAULT '',
		state TEXT NOT NULL,
		detail TEXT NOT NULL DEFAULT '',
		updated {time}
	);
	CREATE INDEX IF NOT EXISTS messages_state ON messages(state, received);
	CREATE TABLE IF NOT EXISTS attempts (
		message_id TEXT NOT NULL,
		time {time},
		rcpt TEXT NOT NULL,
		result TEXT NOT NULL,
		reply TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX IF NOT EXISTS attempts_message ON attempts(message_id, time);
	CREATE TABLE IF NOT EXISTS audit (
		time {time},
		actor TEXT NOT NULL,
		action TEXT NOT NULL,
		target TEXT NOT NULL,
		detail TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX IF NOT EXISTS audit_target ON audit(target, time);`,
}}

// NewStore returns the relay's Store on db, SQLite or PostgreSQL,
// bringing its tables up to date first. The handle stays its opener's
// to close.
func NewStore(ctx context.Context, db *DB) (Store, error) {
	if db.Postgres() {
		return NewPostgres(ctx, db)
	}
	return NewSQLite(ctx, db)
}

// sqlStore is the Store's queries on a DB, shared by SQLite and
// PostgreSQL; they differ in how a write is committed.
type sqlStore struct {
	db *DB
	// exec makes one write and returns the rows it changed: group
	// committed on SQLite (batch.go), its own transaction on PostgreSQL.
	exec func(ctx context.Context, query string, args ...any) (int64, error)
}

func (s *sqlStore) write(ctx context.Context, query string, args ...any) (int64, error) {
	n, err := s.exec(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("meta: %w", err)
	}
	return n, nil
}

// PutMessage implements Store.
func (s *sqlStore) PutMessage(ctx context.Context, m Message) error {
	if m.Updated.IsZero() {
		m.Updated = time.Now()
	}
	to, _ := json.Marshal(m.To)
	_, err := s.write(ctx, `INSERT INTO messages (id, received, sender, rcpts, client_ip, size, sha256, outcome, reason, kind, state, detail, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET received=excluded.received, sender=excluded.sender, rcpts=excluded.rcpts,
		client_ip=excluded.client_ip, size=excluded.size, sha256=excluded.sha256, outcome=excluded.outcome,
		reason=excluded.reason, kind=excluded.kind, state=excluded.state, detail=excluded.detail, updated=excluded.updated`,
		m.ID, s.db.Stamp(m.Received), m.From, string(to), m.ClientIP, m.Size, m.SHA256, m.Outcome, m.Reason, m.Kind, m.State, m.Detail, s.db.Stamp(m.Updated))
	return err
}

// SetState implements Store.
func (s *sqlStore) SetState(ctx context.Context, id, state, detail string) error {
	n, err := s.write(ctx, `UPDATE messages SET state=?, detail=?, updated=? WHERE id=?`, state, detail, s.db.Stamp(time.Now()), id)
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

const msgCols = `id, received, sender, rcpts, client_ip, size, sha256, outcome, reason, kind, state, detail, updated`

func scanMessage(sc interface{ Scan(...any) error }) (Message, error) {
	var m Message
	var to string
	err := sc.Scan(&m.ID, timeCol{&m.Received}, &m.From, &to, &m.ClientIP, &m.Size, &m.SHA256, &m.Outcome, &m.Reason, &m.Kind, &m.State, &m.Detail, timeCol{&m.Updated})
	if err != nil {
		return m, err
	}
	json.Unmarshal([]byte(to), &m.To)
	return m, nil
}

// Message implements Store.
func (s *sqlStore) Message(ctx context.Context, id string) (Message, error) {
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
func (s *sqlStore) Messages(ctx context.Context, f Filter) ([]Message, error) {
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
func (s *sqlStore) AddAttempt(ctx context.Context, a Attempt) error {
	if a.Time.IsZero() {
		a.Time = time.Now()
	}
	_, err := s.write(ctx, `INSERT INTO attempts (message_id, time, rcpt, result, reply) VALUES (?, ?, ?, ?, ?)`,
		a.MessageID, s.db.Stamp(a.Time), a.Rcpt, a.Result, a.Reply)
	return err
}

// Attempts implements Store.
func (s *sqlStore) Attempts(ctx context.Context, id string) ([]Attempt, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT message_id, time, rcpt, result, reply FROM attempts WHERE message_id=? ORDER BY time`, id)
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var a Attempt
		if err := rows.Scan(&a.MessageID, timeCol{&a.Time}, &a.Rcpt, &a.Result, &a.Reply); err != nil {
			return nil, fmt.Errorf("meta: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Audit implements Store. An audit row is its own transaction on the
// shared DB, not one of the relay's writes: nothing else holds what an
// administrator did, so on SQLite it is committed at synchronous=FULL.
func (s *sqlStore) Audit(ctx context.Context, e Event) error {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO audit (time, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`,
		s.db.Stamp(e.Time), e.Actor, e.Action, e.Target, e.Detail)
	if err != nil {
		return fmt.Errorf("meta: %w", err)
	}
	return nil
}

// Events implements Store.
func (s *sqlStore) Events(ctx context.Context, target string) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT time, actor, action, target, detail FROM audit WHERE target=? ORDER BY time`, target)
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(timeCol{&e.Time}, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, fmt.Errorf("meta: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
