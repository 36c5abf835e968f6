// Package audit records who did what to which item on mugai's transfer
// sites: every login, upload, sanitization result, approval, download
// and deletion, with the user, client IP, time, item and the SHA-256 of
// what came in and what went out.
//
// Each event is written twice: to the audit_events table of mugai's
// database (SQLite, or a cluster's PostgreSQL; for queries and the
// export) and as one JSON line appended to
// a file (for log shippers and as a second, append-only copy). Export
// writes CSV (RFC 4180, with a UTF-8 BOM so that Excel opens Japanese
// names correctly) or JSON lines.
package audit

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/mugai-project/mugai/internal/meta"
)

// Actions recorded.
const (
	Login        = "login"
	LoginFailed  = "login-failed"
	LoginAlarm   = "login-alarm" // many failed logins for one account
	Logout       = "logout"
	Upload       = "upload"
	UploadFailed = "upload-refused"
	Result       = "sanitized"
	Unlock       = "password-retry"
	Approve      = "approve"
	Reject       = "reject"
	Download     = "download"
	Delete       = "delete"
	Expire       = "expire"
	Purge        = "purge" // an original deleted from the quarantine at the end of its retention

	// The held mail items' pages on the download site.
	HeldUnlock  = "held-unlock"  // a password typed for a held mail
	HeldRequest = "held-request" // 原本取り出し申請
	HeldApprove = "held-approve"
	HeldReject  = "held-reject"
	HeldRelease = "held-release" // the original queued to the requester
	HeldNotify  = "held-notify"  // a notification queued

	// The transfer sites' mails.
	ArrivalNotify = "arrival-notify" // a recipient told that a file arrived
)

// Event is one audit record.
type Event struct {
	ID        int64     `json:"id,omitempty"`
	Time      time.Time `json:"time"`
	Zone      string    `json:"zone,omitempty"` // "upload", "download", "cli", "system"
	User      string    `json:"user"`
	IP        string    `json:"ip,omitempty"`
	Action    string    `json:"action"`
	Item      string    `json:"item,omitempty"`
	Name      string    `json:"name,omitempty"`
	SHA256In  string    `json:"sha256_in,omitempty"`
	SHA256Out string    `json:"sha256_out,omitempty"`
	Outcome   string    `json:"outcome,omitempty"`
	Detail    string    `json:"detail,omitempty"`
}

// Log writes events. It is safe for concurrent use.
type Log struct {
	db  *meta.DB
	mu  sync.Mutex
	f   *os.File
	now func() time.Time
}

const schema = `
CREATE TABLE IF NOT EXISTS audit_events (
	id {serial},
	time {time},
	zone TEXT NOT NULL DEFAULT '',
	user_name TEXT NOT NULL DEFAULT '',
	ip TEXT NOT NULL DEFAULT '',
	action TEXT NOT NULL,
	item TEXT NOT NULL DEFAULT '',
	name TEXT NOT NULL DEFAULT '',
	sha256_in TEXT NOT NULL DEFAULT '',
	sha256_out TEXT NOT NULL DEFAULT '',
	outcome TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_events_time ON audit_events(time);
CREATE INDEX IF NOT EXISTS audit_events_item ON audit_events(item, time);
`

// New creates the audit_ table if needed (or brings it up to date) and
// opens jsonl (if not empty) for appending.
func New(ctx context.Context, db *meta.DB, jsonl string) (*Log, error) {
	if err := db.Migrate(ctx, meta.Schema{Part: "audit", Versions: []string{schema}}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	l := &Log{db: db, now: time.Now}
	if jsonl != "" {
		if err := os.MkdirAll(filepath.Dir(jsonl), 0o700); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		f, err := os.OpenFile(jsonl, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		l.f = f
	}
	return l, nil
}

// Close closes the JSON lines file (not the database).
func (l *Log) Close() error {
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}

// Record writes e, setting its Time if zero. The database row is written
// first; a failure there is returned, and the JSON line is still tried.
func (l *Log) Record(ctx context.Context, e Event) error {
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	e.Time = e.Time.UTC()
	dberr := l.db.QueryRowContext(ctx, `INSERT INTO audit_events (time, zone, user_name, ip, action, item, name, sha256_in, sha256_out, outcome, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		l.db.Stamp(e.Time), e.Zone, e.User, e.IP, e.Action, e.Item, e.Name, e.SHA256In, e.SHA256Out, e.Outcome, e.Detail).Scan(&e.ID)
	if dberr != nil {
		dberr = fmt.Errorf("audit: %w", dberr)
	}
	if l.f != nil {
		b, _ := json.Marshal(e)
		l.mu.Lock()
		_, err := l.f.Write(append(b, '\n'))
		l.mu.Unlock()
		if err != nil && dberr == nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	return dberr
}

// Filter selects events: Since <= Time < Until, zero bounds open.
type Filter struct {
	Since, Until time.Time
	User         string
	Item         string
	Action       string
	Limit        int
}

// Events returns the events that match f, oldest first.
func (l *Log) Events(ctx context.Context, f Filter) ([]Event, error) {
	var out []Event
	err := l.each(ctx, f, func(e Event) error { out = append(out, e); return nil })
	return out, err
}

func (l *Log) each(ctx context.Context, f Filter, fn func(Event) error) error {
	q := `SELECT id, time, zone, user_name, ip, action, item, name, sha256_in, sha256_out, outcome, detail FROM audit_events WHERE 1=1`
	var args []any
	if !f.Since.IsZero() {
		q += ` AND time >= ?`
		args = append(args, l.db.Stamp(f.Since))
	}
	if !f.Until.IsZero() {
		q += ` AND time < ?`
		args = append(args, l.db.Stamp(f.Until))
	}
	for _, c := range []struct{ col, v string }{{"user_name", f.User}, {"item", f.Item}, {"action", f.Action}} {
		if c.v != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	q += ` ORDER BY time, id`
	if f.Limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(f.Limit)
	}
	rows, err := l.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.ID, meta.ScanTime(&e.Time), &e.Zone, &e.User, &e.IP, &e.Action, &e.Item, &e.Name, &e.SHA256In, &e.SHA256Out, &e.Outcome, &e.Detail); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		e.Time = e.Time.UTC()
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Header is the CSV header row.
var Header = []string{"id", "time", "zone", "user", "ip", "action", "item", "name", "sha256_in", "sha256_out", "outcome", "detail"}

// Export writes the events that match f to w as "csv" or "jsonl".
func (l *Log) Export(ctx context.Context, w io.Writer, f Filter, format string) error {
	switch format {
	case "jsonl", "json":
		enc := json.NewEncoder(w)
		return l.each(ctx, f, func(e Event) error { return enc.Encode(e) })
	case "csv", "":
	default:
		return fmt.Errorf("audit: unknown format %q (csv or jsonl)", format)
	}
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180 section 2
	cw.Write(Header)
	err := l.each(ctx, f, func(e Event) error {
		return cw.Write([]string{strconv.FormatInt(e.ID, 10), e.Time.Format(time.RFC3339), e.Zone, csvSafe(e.User), e.IP, e.Action,
			e.Item, csvSafe(e.Name), e.SHA256In, e.SHA256Out, e.Outcome, csvSafe(e.Detail)})
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	return err
}

// csvSafe defuses spreadsheet formula injection (a file named
// "=HYPERLINK(…)" opened in Excel): a leading = + - @ gets a quote mark,
// as OWASP recommends for CSV exports.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
