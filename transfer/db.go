package transfer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/sanitizer"
)

const schema = `
CREATE TABLE IF NOT EXISTS transfer_items (
	id TEXT PRIMARY KEY,
	owner TEXT NOT NULL,
	name TEXT NOT NULL,
	size BIGINT NOT NULL,
	sha256 TEXT NOT NULL,
	state TEXT NOT NULL,
	approval TEXT NOT NULL DEFAULT '',
	approved_by TEXT NOT NULL DEFAULT '',
	created {time},
	expires {time},
	report TEXT NOT NULL DEFAULT '',
	error TEXT NOT NULL DEFAULT ''
);
-- purpose, declared, reject_reason and unlock_failures: see itemColumns;
-- claimed_by and claimed_until: see claimColumns (claims.go).
CREATE INDEX IF NOT EXISTS transfer_items_owner ON transfer_items(owner, created);
CREATE INDEX IF NOT EXISTS transfer_items_state ON transfer_items(state, expires);
CREATE TABLE IF NOT EXISTS transfer_outputs (
	item_id TEXT NOT NULL,
	idx INTEGER NOT NULL,
	name TEXT NOT NULL,
	media_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	sha256 TEXT NOT NULL,
	PRIMARY KEY (item_id, idx)
);
CREATE TABLE IF NOT EXISTS transfer_recipients (
	item_id TEXT NOT NULL,
	user_name TEXT NOT NULL,
	PRIMARY KEY (item_id, user_name)
);
CREATE INDEX IF NOT EXISTS transfer_recipients_user ON transfer_recipients(user_name);
CREATE TABLE IF NOT EXISTS transfer_downloads (
	user_name TEXT NOT NULL,
	item_id TEXT NOT NULL,
	idx INTEGER NOT NULL,
	first_at {time},
	PRIMARY KEY (user_name, item_id, idx)
);
`

// itemColumns are the columns of transfer_items added after its first
// release, each with its declaration; New adds those an older database
// lacks (meta.Schema.Columns).
var itemColumns = []meta.Column{
	{Name: "purpose", Decl: "TEXT NOT NULL DEFAULT ''"},           // 目的, for the approver
	{Name: "declared", Decl: "TEXT NOT NULL DEFAULT ''"},          // the name as uploaded, before cleaning
	{Name: "reject_reason", Decl: "TEXT NOT NULL DEFAULT ''"},     // 差し戻しの理由, for the uploader
	{Name: "unlock_failures", Decl: "INTEGER NOT NULL DEFAULT 0"}, // wrong PPAP passwords
}

// transferSchema is the transfer sites' tables (meta.Schema): the items
// (db.go), the held mails' tries and requests (heldrequests.go) and
// unlocked files (heldfiles.go); version 2 moves the held mails'
// password tries to their table per recipient (heldTriesPerRecipient).
var transferSchema = meta.Schema{Part: "transfer", Versions: []string{schema + heldSchema + heldFilesSchema, heldTriesPerRecipient},
	Columns: map[string][]meta.Column{"transfer_items": slices.Concat(itemColumns, claimColumns)}}

// State is where an item is in its life.
type State string

// The states, as the pages name them: 受付, 無害化中, 完了, 保留, 受け渡し不可.
const (
	Received   State = "received"   // stored, waiting for a worker
	Processing State = "processing" // being sanitized
	Done       State = "done"       // sanitized outputs ready
	Held       State = "held"       // withheld for now: encrypted (PPAP), a password may unlock it
	Withheld   State = "withheld"   // the sanitizer removed it
	Deleted    State = "deleted"    // the user deleted the outputs
	Expired    State = "expired"    // purged after its expiry
)

func (s State) final() bool { return s != Received && s != Processing }

// Approval states; "" when approval is not required.
const (
	ApprovalPending  = "pending"
	ApprovalApproved = "approved"
	ApprovalRejected = "rejected"
)

// Item is one uploaded file.
type Item struct {
	ID         string
	Owner      string
	Name       string
	Size       int64
	SHA256     string
	State      State
	Approval   string
	ApprovedBy string
	Created    time.Time
	Expires    time.Time
	Report     *sanitizer.Report
	Error      string
	Outputs    []OutputFile
	Recipients []string
	// Purpose is the uploader's 目的, shown to the approver.
	Purpose string
	// Declared is the name as uploaded when cleaning changed it, else "".
	Declared string
	// RejectReason is the approver's reason for 差し戻し.
	RejectReason string
	// UnlockFailures counts wrong PPAP passwords.
	UnlockFailures int
}

// OutputFile is one sanitized file of an item.
type OutputFile struct {
	Index     int
	Name      string
	MediaType string
	Size      int64
	SHA256    string
}

// downloadable reports whether the item's outputs may be downloaded at now.
func (it *Item) downloadable(now time.Time) bool {
	return it.State == Done && now.Before(it.Expires) && (it.Approval == "" || it.Approval == ApprovalApproved)
}

func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

var errNoItem = errors.New("transfer: no such item")

const itemCols = `id, owner, name, size, sha256, state, approval, approved_by, created, expires, report, error, purpose, declared, reject_reason, unlock_failures`

func scanItem(sc interface{ Scan(...any) error }) (*Item, error) {
	it := &Item{}
	var state, created, expires, report string
	if err := sc.Scan(&it.ID, &it.Owner, &it.Name, &it.Size, &it.SHA256, &state, &it.Approval, &it.ApprovedBy, &created, &expires, &report, &it.Error,
		&it.Purpose, &it.Declared, &it.RejectReason, &it.UnlockFailures); err != nil {
		return nil, err
	}
	it.State, it.Created, it.Expires = State(state), parseTS(created), parseTS(expires)
	if report != "" {
		it.Report = &sanitizer.Report{}
		if err := json.Unmarshal([]byte(report), it.Report); err != nil {
			it.Report = nil
		}
	}
	return it, nil
}

// insertItems records new items and their recipients, all or none.
func (s *Server) insertItems(ctx context.Context, items []*Item) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, it := range items {
		// The node that took the upload claims it: its workers have the
		// file at hand.
		if _, err := tx.ExecContext(ctx, `INSERT INTO transfer_items (id, owner, name, size, sha256, state, created, expires, purpose, declared, claimed_by, claimed_until)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			it.ID, it.Owner, it.Name, it.Size, it.SHA256, string(it.State), s.db.Stamp(it.Created), s.db.Stamp(it.Expires), it.Purpose, it.Declared,
			s.opts.Node, s.db.Stamp(s.opts.Now().Add(s.opts.Lease))); err != nil {
			return err
		}
		for _, r := range it.Recipients {
			if _, err := tx.ExecContext(ctx, `INSERT INTO transfer_recipients (item_id, user_name) VALUES (?, ?) ON CONFLICT DO NOTHING`, it.ID, r); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

// item loads one item with its outputs and recipients.
func (s *Server) item(ctx context.Context, id string) (*Item, error) {
	it, err := scanItem(s.db.QueryRowContext(ctx, `SELECT `+itemCols+` FROM transfer_items WHERE id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoItem
	}
	if err != nil {
		return nil, err
	}
	if err := s.fill(ctx, []*Item{it}); err != nil {
		return nil, err
	}
	return it, nil
}

// fill loads the outputs and recipients of items, two queries for all
// of them (the lists and their event streams load a page at a time).
func (s *Server) fill(ctx context.Context, items []*Item) error {
	if len(items) == 0 {
		return nil
	}
	byID := make(map[string]*Item, len(items))
	ids := make([]any, len(items))
	for i, it := range items {
		byID[it.ID], ids[i] = it, it.ID
	}
	in := "(?" + strings.Repeat(",?", len(ids)-1) + ")"
	rows, err := s.db.QueryContext(ctx, `SELECT item_id, idx, name, media_type, size, sha256 FROM transfer_outputs WHERE item_id IN `+in+` ORDER BY item_id, idx`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var o OutputFile
		if err := rows.Scan(&id, &o.Index, &o.Name, &o.MediaType, &o.Size, &o.SHA256); err != nil {
			return err
		}
		byID[id].Outputs = append(byID[id].Outputs, o)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT item_id, user_name FROM transfer_recipients WHERE item_id IN `+in+` ORDER BY item_id, user_name`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, r string
		if err := rows.Scan(&id, &r); err != nil {
			return err
		}
		byID[id].Recipients = append(byID[id].Recipients, r)
	}
	return rows.Err()
}

func (s *Server) queryItems(ctx context.Context, q string, args ...any) ([]*Item, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+itemCols+` FROM transfer_items `+q, args...)
	if err != nil {
		return nil, err
	}
	var out []*Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, s.fill(ctx, out)
}

// uploadsOf lists a user's own recent items, newest first.
func (s *Server) uploadsOf(ctx context.Context, user string, limit int) ([]*Item, error) {
	return s.queryItems(ctx, `WHERE owner=? AND state NOT IN ('deleted','expired') ORDER BY created DESC LIMIT ?`, user, limit)
}

// pendingApprovals lists the items waiting for an approver, less the
// approver's own uploads (which another approver decides).
func (s *Server) pendingApprovals(ctx context.Context, approver string) ([]*Item, error) {
	return s.queryItems(ctx, `WHERE state='done' AND approval='pending' AND owner<>? ORDER BY created LIMIT 500`, approver)
}

func (s *Server) setState(ctx context.Context, id string, st State, errText string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE transfer_items SET state=?, error=? WHERE id=?`, string(st), errText, id)
	s.hub.notify()
	return err
}

// canSee reports whether user may see item (owner or recipient).
func (it *Item) canSee(user string) bool {
	if it.Owner == user {
		return true
	}
	for _, r := range it.Recipients {
		if r == user {
			return true
		}
	}
	return false
}

func splitRecipients(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' || r == '\n' || r == '、' })
	seen := map[string]bool{}
	var out []string
	for _, n := range f {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
