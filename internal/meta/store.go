package meta

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// sqlStore is the Store's queries on database/sql, shared by SQLite
// and PostgreSQL. The SQL is the same for both (upserts with ON
// CONFLICT … excluded, LIMIT); they differ in three places only, the
// fields below: how a write is committed, the placeholders, and how a
// time is stored.
type sqlStore struct {
	db *sql.DB
	// exec makes one write and returns the rows it changed: group
	// committed on SQLite (batch.go), its own transaction on PostgreSQL.
	exec func(ctx context.Context, query string, args ...any) (int64, error)
	// numbered placeholders ($1, $2, … for PostgreSQL) instead of ?.
	numbered bool
	// stamp is a time as a column value: RFC 3339 text on SQLite, the
	// time itself (timestamptz) on PostgreSQL.
	stamp func(time.Time) any
}

// textStamp is SQLite's time column: UTC RFC 3339 text.
func textStamp(t time.Time) any { return t.UTC().Format(time.RFC3339Nano) }

// timeCol scans a time column of either kind.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch v := v.(type) {
	case time.Time:
		*c.t = v
	case string:
		*c.t, _ = time.Parse(time.RFC3339Nano, v)
	case []byte:
		*c.t, _ = time.Parse(time.RFC3339Nano, string(v))
	default:
		return fmt.Errorf("meta: a time column holds %T", v)
	}
	return nil
}

// q writes query's ? placeholders the way the database wants them. No
// query here has a ? inside a literal.
func (s *sqlStore) q(query string) string {
	if !s.numbered {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *sqlStore) write(ctx context.Context, query string, args ...any) (int64, error) {
	n, err := s.exec(ctx, s.q(query), args...)
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
		m.ID, s.stamp(m.Received), m.From, string(to), m.ClientIP, m.Size, m.SHA256, m.Outcome, m.Reason, m.Kind, m.State, m.Detail, s.stamp(m.Updated))
	return err
}

// SetState implements Store.
func (s *sqlStore) SetState(ctx context.Context, id, state, detail string) error {
	n, err := s.write(ctx, `UPDATE messages SET state=?, detail=?, updated=? WHERE id=?`, state, detail, s.stamp(time.Now()), id)
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
	m, err := scanMessage(s.db.QueryRowContext(ctx, s.q(`SELECT `+msgCols+` FROM messages WHERE id=?`), id))
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
	rows, err := s.db.QueryContext(ctx, s.q(q), args...)
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
		a.MessageID, s.stamp(a.Time), a.Rcpt, a.Result, a.Reply)
	return err
}

// Attempts implements Store.
func (s *sqlStore) Attempts(ctx context.Context, id string) ([]Attempt, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT message_id, time, rcpt, result, reply FROM attempts WHERE message_id=? ORDER BY time`), id)
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

// Audit implements Store.
func (s *sqlStore) Audit(ctx context.Context, e Event) error {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	_, err := s.write(ctx, `INSERT INTO audit (time, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`,
		s.stamp(e.Time), e.Actor, e.Action, e.Target, e.Detail)
	return err
}

// Events implements Store.
func (s *sqlStore) Events(ctx context.Context, target string) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT time, actor, action, target, detail FROM audit WHERE target=? ORDER BY time`), target)
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
