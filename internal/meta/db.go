package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// DB is mugai's database: mugai.db (SQLite) on one machine, or the
// PostgreSQL database that the nodes of a cluster share. Every part of
// mugai (the relay's rows, the accounts and sessions, the audit trail,
// the transfer sites' items) runs the same queries on either, written
// with ? placeholders and upserts in the ON CONFLICT … excluded form
// that both read. What differs is here, in one place:
//
//   - placeholders: DB and Tx rewrite ? as $1, $2, … for PostgreSQL;
//   - times: a time column is UTC text on SQLite and timestamptz on
//     PostgreSQL; a value goes in as Stamp(t) (MaybeStamp where it may
//     be none) and comes out as a string or through ScanTime;
//   - table declarations: Schema's type words (schema.go);
//   - a unique key refused: IsUnique;
//   - work that one node at a time does: Lead (lead.go).
//
// The embedded *sql.DB is the pool; its other methods (Conn, Stats) are
// the pool's own.
type DB struct {
	*sql.DB
	pg bool
	// relaxed is, on SQLite, the pool the relay's rows are written
	// through (OpenDB); nil on PostgreSQL.
	relaxed *sql.DB
}

// Close closes the database's pools.
func (d *DB) Close() error {
	if d.relaxed != nil {
		d.relaxed.Close()
	}
	return d.DB.Close()
}

// Postgres reports whether db is a PostgreSQL database.
func (d *DB) Postgres() bool { return d.pg }

// ExecContext runs a statement written with ? placeholders.
func (d *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.DB.ExecContext(ctx, rebind(d.pg, query), args...)
}

// QueryContext runs a query written with ? placeholders.
func (d *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.DB.QueryContext(ctx, rebind(d.pg, query), args...)
}

// QueryRowContext runs a query written with ? placeholders.
func (d *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return d.DB.QueryRowContext(ctx, rebind(d.pg, query), args...)
}

// BeginTx begins a transaction whose statements are written with ?
// placeholders.
func (d *DB) BeginTx(ctx context.Context, opts *sql.TxOptions) (*Tx, error) {
	tx, err := d.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &Tx{Tx: tx, pg: d.pg}, nil
}

// Tx is a transaction on a DB.
type Tx struct {
	*sql.Tx
	pg bool
}

// ExecContext runs a statement written with ? placeholders.
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, rebind(t.pg, query), args...)
}

// QueryRowContext runs a query written with ? placeholders.
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, rebind(t.pg, query), args...)
}

// rebind writes query's ? placeholders as PostgreSQL's $n when pg. No
// query of mugai has a ? inside a literal.
func rebind(pg bool, query string) string {
	if !pg || !strings.Contains(query, "?") {
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

// textStampLayout is a time on SQLite: UTC, to the microsecond, fixed
// width, so that times compare as text in time order (PostgreSQL keeps
// microseconds too). Rows written by older mugais hold RFC 3339 with
// up to nanoseconds, which reads the same.
const textStampLayout = "2006-01-02T15:04:05.000000Z07:00"

// Stamp is t as the value of a {time} column: UTC text on SQLite, the
// time itself on PostgreSQL.
func (d *DB) Stamp(t time.Time) any {
	if d.pg {
		return t
	}
	return t.UTC().Format(textStampLayout)
}

// MaybeStamp is t as the value of a {maybetime} column, where the zero
// time is "no time": "" on SQLite, NULL on PostgreSQL.
func (d *DB) MaybeStamp(t time.Time) any {
	switch {
	case !t.IsZero():
		return d.Stamp(t)
	case d.pg:
		return nil
	}
	return ""
}

// ScanTime scans a time column of either database into t: "" and NULL
// are the zero time.
func ScanTime(t *time.Time) sql.Scanner { return timeCol{t} }

type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.t = time.Time{}
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

// IsUnique reports whether err is a row refused for a duplicate key.
func IsUnique(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505" // unique_violation
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}
