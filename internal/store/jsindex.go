package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/mugai-project/mugai/internal/jsretry"
	"github.com/mugai-project/mugai/internal/meta"
)

// indexSchema is the index of a cluster's quarantine in its shared
// database: one row per item with what a Filter selects by, and the KV
// revision of the record the row was made from; and, per bucket, the
// revision up to which every record is known to have its row (the
// reconcile's watermark).
var indexSchema = meta.Schema{Part: "quarantine", Versions: []string{
	// 1
	`CREATE TABLE IF NOT EXISTS quarantine_index (
		bucket TEXT NOT NULL,
		id TEXT NOT NULL,
		created {time},
		state TEXT NOT NULL,
		reason TEXT NOT NULL,
		retain_until {time},
		revision BIGINT NOT NULL,
		PRIMARY KEY (bucket, id)
	);
	CREATE INDEX IF NOT EXISTS quarantine_index_created ON quarantine_index (bucket, created, id);
	CREATE INDEX IF NOT EXISTS quarantine_index_state ON quarantine_index (bucket, state, created, id);
	CREATE INDEX IF NOT EXISTS quarantine_index_reason ON quarantine_index (bucket, reason, created, id);
	CREATE INDEX IF NOT EXISTS quarantine_index_retain ON quarantine_index (bucket, retain_until);
	CREATE TABLE IF NOT EXISTS quarantine_indexed (
		bucket TEXT PRIMARY KEY,
		revision BIGINT NOT NULL
	)`,
}}

// index is a JetStream quarantine's rows in the shared database. The
// KV records stay the truth: a row is written after its record, only
// ever from a newer revision than the one it holds (so writers and the
// reconcile may race in any order), and List reads each listed item's
// record again.
type index struct {
	db     *meta.DB
	bucket string
}

func openIndex(ctx context.Context, db *meta.DB, bucket string) (*index, error) {
	if err := db.Migrate(ctx, indexSchema); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &index{db: db, bucket: bucket}, nil
}

// put writes its row as of the record's revision rev.
func (x *index) put(ctx context.Context, it *Item, rev uint64) error {
	_, err := x.db.ExecContext(ctx, `INSERT INTO quarantine_index (bucket, id, created, state, reason, retain_until, revision)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (bucket, id) DO UPDATE SET created = excluded.created, state = excluded.state, reason = excluded.reason,
			retain_until = excluded.retain_until, revision = excluded.revision
		WHERE quarantine_index.revision < excluded.revision`,
		x.bucket, it.ID, x.db.Stamp(it.Created), string(it.State), it.Reason, x.db.Stamp(it.RetainUntil), int64(rev))
	if err != nil {
		return fmt.Errorf("store: indexing %s: %w", it.ID, err)
	}
	return nil
}

// remove deletes id's row if it was made before revision rev.
func (x *index) remove(ctx context.Context, id string, rev uint64) error {
	if _, err := x.db.ExecContext(ctx, `DELETE FROM quarantine_index WHERE bucket = ? AND id = ? AND revision < ?`, x.bucket, id, int64(rev)); err != nil {
		return fmt.Errorf("store: removing %s from the index: %w", id, err)
	}
	return nil
}

// row is what a page of the index says of one item.
type row struct {
	id      string
	created string // as the database compares it, for the next page
	rev     uint64
}

// indexPage is how many rows List reads at a time.
const indexPage = 256

// list returns the items that match f, oldest first, reading each
// candidate's current record with current (ok false: the record is
// gone, and so goes its row). The query selects a superset of f (times
// in the database are to the microsecond, so a bound is taken
// inclusively), which the records then narrow exactly.
func (x *index) list(ctx context.Context, f Filter, current func(context.Context, string) (jsRecord, bool, error)) ([]Item, error) {
	where, args := `bucket = ?`, []any{x.bucket}
	add := func(cond string, v any) { where += ` AND ` + cond; args = append(args, v) }
	if f.State != "" {
		add(`state = ?`, string(f.State))
	}
	if f.Reason != "" {
		add(`reason = ?`, f.Reason)
	}
	if !f.Since.IsZero() {
		add(`created >= ?`, x.db.Stamp(f.Since))
	}
	if !f.Until.IsZero() {
		add(`created <= ?`, x.db.Stamp(f.Until))
	}
	if !f.Expired.IsZero() {
		add(`retain_until <= ?`, x.db.Stamp(f.Expired))
	}
	var out []Item
	var after *row
	for {
		n := indexPage
		if f.Limit > 0 {
			n = min(n, f.Limit-len(out))
		}
		rows, err := x.page(ctx, where, args, after, n)
		if err != nil {
			return nil, err
		}
		recs, err := x.records(ctx, rows, current)
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			if rec != nil && f.match(&rec.Item) {
				out = append(out, rec.Item)
			}
		}
		if len(rows) < n || (f.Limit > 0 && len(out) >= f.Limit) {
			return out, nil
		}
		after = &rows[len(rows)-1]
	}
}

// recordReads is how many records list reads at once.
const recordReads = 8

// records reads the current record of each row, recordReads at a time:
// nil where the record is gone, whose row it then removes.
func (x *index) records(ctx context.Context, rows []row, current func(context.Context, string) (jsRecord, bool, error)) ([]*jsRecord, error) {
	out := make([]*jsRecord, len(rows))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(recordReads)
	for i, r := range rows {
		g.Go(func() error {
			rec, ok, err := current(ctx, r.id)
			if err != nil {
				return err
			}
			if !ok {
				return x.remove(ctx, r.id, r.rev+1)
			}
			out[i] = &rec
			return nil
		})
	}
	return out, g.Wait()
}

// page reads up to n rows that satisfy where, in (created, id) order,
// after the row after if any.
func (x *index) page(ctx context.Context, where string, args []any, after *row, n int) ([]row, error) {
	args = append([]any(nil), args...)
	if after != nil {
		where += ` AND (created > ? OR (created = ? AND id > ?))`
		args = append(args, after.created, after.created, after.id)
	}
	rs, err := x.db.QueryContext(ctx, `SELECT id, created, revision FROM quarantine_index WHERE `+where+` ORDER BY created, id LIMIT ?`,
		append(args, n)...)
	if err != nil {
		return nil, fmt.Errorf("store: reading the index: %w", err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		var rev int64
		if err := rs.Scan(&r.id, &r.created, &rev); err != nil {
			return nil, fmt.Errorf("store: reading the index: %w", err)
		}
		r.rev = uint64(rev)
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: reading the index: %w", err)
	}
	return out, nil
}

// watermark is the revision up to which every record has its row.
func (x *index) watermark(ctx context.Context) (uint64, error) {
	var rev int64
	err := x.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(revision), 0) FROM quarantine_indexed WHERE bucket = ?`, x.bucket).Scan(&rev)
	if err != nil {
		return 0, fmt.Errorf("store: reading the index's watermark: %w", err)
	}
	return uint64(rev), nil
}

// advance raises the watermark to rev.
func (x *index) advance(ctx context.Context, rev uint64) error {
	_, err := x.db.ExecContext(ctx, `INSERT INTO quarantine_indexed (bucket, revision) VALUES (?, ?)
		ON CONFLICT (bucket) DO UPDATE SET revision = excluded.revision WHERE quarantine_indexed.revision < excluded.revision`,
		x.bucket, int64(rev))
	if err != nil {
		return fmt.Errorf("store: raising the index's watermark: %w", err)
	}
	return nil
}

// Reconcile implements Reconciler: every record written since the
// watermark (all of them, the first time) gets its row, every record
// deleted since loses it, and the watermark rises to the last revision
// seen. A crash or a database outage between a record's write and its
// row's leaves the record above the watermark, so the next Reconcile
// indexes it. Its cost is that of the records changed since the last
// one; nothing without an Index.
func (s *JetStream) Reconcile(ctx context.Context) error {
	if s.index == nil {
		return nil
	}
	// Each attempt starts from the watermark as the last one raised it:
	// a walk longer than one attempt goes on where it was cut.
	return jsretry.WhileElecting(ctx, jsretry.Attempt, func(ctx context.Context) error {
		from, err := s.index.watermark(ctx)
		if err != nil {
			return err
		}
		last, err := s.reindex(ctx, from)
		if err != nil || last <= from {
			return err
		}
		return s.index.advance(ctx, last)
	})
}

// watermarkEvery is how many records a walk indexes between two rises
// of the watermark.
const watermarkEvery = 1000

// reindex writes the rows of the records after revision from and
// returns the last revision it saw.
func (s *JetStream) reindex(ctx context.Context, from uint64) (uint64, error) {
	w, err := s.kv.Watch(ctx, recordKey("*"), jetstream.ResumeFromRevision(from+1))
	if err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	defer w.Stop()
	last, n := from, 0
	for {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return 0, errors.New("store: the walk of the records ended early")
			}
			if e == nil { // every record present at the start was sent
				return last, nil
			}
			if err := s.reindexOne(ctx, e); err != nil {
				return 0, err
			}
			last = max(last, e.Revision())
			// The records come in revision order: a walk cut short
			// resumes from here.
			if n++; n%watermarkEvery == 0 {
				if err := s.index.advance(ctx, last); err != nil {
					return 0, err
				}
			}
		}
	}
}

func (s *JetStream) reindexOne(ctx context.Context, e jetstream.KeyValueEntry) error {
	if e.Operation() != jetstream.KeyValuePut {
		return s.index.remove(ctx, e.Key()[len(recordKey("")):], e.Revision())
	}
	rec, err := decodeRecord(e.Value())
	if err != nil {
		return fmt.Errorf("store: %s: %w", e.Key(), err)
	}
	return s.index.put(ctx, &rec.Item, e.Revision())
}
