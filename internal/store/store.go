// Package store keeps the originals of withheld and held items: the
// quarantine (原本保管). Every original is kept with its SHA-256, its size,
// the sanitizer's report, the reason it was kept, and how long it must be
// kept; an original is never served toward LGWAN, and releasing one (for
// example after a password is supplied for a PPAP zip) is an explicit,
// audited state change.
//
// Retention (retention.go) purges originals whose retention has ended.
//
// Quarantine is the interface the front doors use. FS implements it on a
// local folder with fsync and rename so that a crash at any instant never
// leaves a half-written item visible: one machine. JetStream implements
// it on a NATS JetStream cluster (an Object Store for the originals, a
// Key-Value bucket for their records, both replicated) so that several
// nodes share it and any one server may die: a scale-out. There List
// finds the items in an index in the cluster's PostgreSQL database, one
// row per item (jsindex.go), and reads only their records; the records
// stay the truth, and Reconcile, which Retention runs before each
// sweep, gives a row to every record that a crash or an outage left
// without one.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"sort"
	"time"

	"github.com/mugai-project/mugai/internal/ids"
)

// State is where an item is in its life.
type State string

// The states. An item starts held; an administrator may release it (its
// original was handed on, for example after a successful re-run with a
// password) or purge it (the original is deleted, the record kept for
// the audit trail, as at the end of its retention).
const (
	Held     State = "held"
	Released State = "released"
	Purged   State = "purged"
)

func (s State) valid() bool { return s == Held || s == Released || s == Purged }

// Item is the record of one original in quarantine.
type Item struct {
	ID        string    `json:"id"`
	Created   time.Time `json:"created"`
	SHA256    string    `json:"sha256"` // hex, of the original
	Size      int64     `json:"size"`
	Name      string    `json:"name"`                 // as the sender gave it
	MediaType string    `json:"media_type,omitempty"` // as detected
	// Reason is the code the item was kept for (sanitizer reason codes:
	// "encrypted", "executable", …).
	Reason string `json:"reason"`
	// Report is the sanitizer's report as JSON.
	Report      json.RawMessage `json:"report,omitempty"`
	RetainUntil time.Time       `json:"retain_until"`
	State       State           `json:"state"`
	// StateChanged is when State last changed; StateBy who changed it.
	StateChanged time.Time `json:"state_changed,omitempty"`
	StateBy      string    `json:"state_by,omitempty"`
	// Source says which front door took the item in ("smtp",
	// "upload"); Meta carries its identifiers (message ID, sender,
	// recipient, uploader), bounded by the caller.
	Source string            `json:"source,omitempty"`
	Meta   map[string]string `json:"meta,omitempty"`
	// Offset is where the original begins in the stored file: a linked
	// file (Linker) may carry a header of its own before it.
	Offset int64 `json:"offset,omitempty"`
}

// Description is what Describe records of an item.
type Description struct {
	MediaType string
	Reason    string
	Report    json.RawMessage
}

func (d Description) apply(it *Item) {
	it.MediaType, it.Reason, it.Report = d.MediaType, d.Reason, d.Report
}

// Filter selects items for List. Zero fields select everything.
type Filter struct {
	State  State  // only items in this state
	Reason string // only items kept for this reason
	// Since and Until bound Created: Since <= Created < Until.
	Since, Until time.Time
	// Expired selects items whose RetainUntil is before it: the
	// retention sweep.
	Expired time.Time
	Limit   int // at most this many, oldest first; 0 for all
}

func (f Filter) match(it *Item) bool {
	switch {
	case f.State != "" && it.State != f.State,
		f.Reason != "" && it.Reason != f.Reason,
		!f.Since.IsZero() && it.Created.Before(f.Since),
		!f.Until.IsZero() && !it.Created.Before(f.Until),
		!f.Expired.IsZero() && !it.RetainUntil.Before(f.Expired):
		return false
	}
	return true
}

// Quarantine stores originals. Implementations are safe for concurrent
// use, verify each original's SHA-256 when it is read back, and never
// list an item that was not completely stored.
type Quarantine interface {
	// Put stores original with item's metadata and returns its ID. The
	// store computes SHA256 and Size (and refuses the item if the
	// caller set a SHA256 that does not match), sets Created if zero and
	// State to Held. item.ID, if set, is used and must be new.
	Put(ctx context.Context, item Item, original io.Reader) (id string, err error)
	// Get returns the item and its original, which the caller closes.
	// The reader fails with ErrCorrupt instead of reaching EOF if the
	// content no longer matches its SHA-256. A purged item's original
	// is gone: ErrPurged.
	Get(ctx context.Context, id string) (Item, io.ReadCloser, error)
	// List returns the items that match f, oldest first.
	List(ctx context.Context, f Filter) ([]Item, error)
	// SetState moves an item to a new state, recording who did it.
	// Purged deletes the original and keeps the record.
	SetState(ctx context.Context, id string, s State, by string) error
	// Describe records what the sanitizer found in an item kept before
	// it was sanitized (an upload is kept as soon as it is received):
	// its detected media type, the reason code and the report. The
	// original and its state are unchanged.
	Describe(ctx context.Context, id string, d Description) error
	// Delete removes an item and its original for good.
	Delete(ctx context.Context, id string) error
}

// prepare completes a new item as every Put does: Created (now if
// zero, in UTC), an ID if it has none (ErrInvalidID if it has a bad
// one), and state Held since Created.
func (it *Item) prepare(now func() time.Time) error {
	if it.Created.IsZero() {
		it.Created = now()
	}
	it.Created = it.Created.UTC()
	if it.ID == "" {
		it.ID = ids.New(it.Created)
	} else if !ValidID(it.ID) {
		return ErrInvalidID
	}
	it.State, it.StateChanged = Held, it.Created
	return nil
}

// Linker is a Quarantine that can keep a file already durable on its
// own file system as an original without copying it: one write and one
// read of the message less.
type Linker interface {
	// PutLink stores the bytes of file from offset to its end as item's
	// original, by a hard link. file must be fsynced and never change
	// again; item.SHA256 and item.Size must describe those bytes and are
	// trusted here (Get checks them at every read, and fails closed with
	// ErrCorrupt).
	//
	// The item is not made durable here: file is the caller's durable
	// copy, and the caller keeps it, to call PutLink again after a crash,
	// until it has made the file system durable itself
	// (fsutil.NewFileSystemSync), one barrier for many items. A PutLink
	// again over what a crash left of an earlier one completes it.
	PutLink(ctx context.Context, item Item, file string, offset int64) (id string, err error)
}

// Errors.
var (
	ErrNotFound  = errors.New("store: no such item")
	ErrExists    = errors.New("store: item already exists")
	ErrInvalidID = errors.New("store: invalid item ID")
	ErrCorrupt   = errors.New("store: original does not match its SHA-256")
	ErrPurged    = errors.New("store: the original was purged")
)

// idPattern is what an item ID may look like: it is used as a file or
// object name, so nothing that could name a path.
var idPattern = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$`)

// ValidID reports whether id can name an item.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// sortItems sorts items oldest first, by ID within the same instant.
func sortItems(items []Item) {
	sort.Slice(items, func(i, j int) bool {
		if !items[i].Created.Equal(items[j].Created) {
			return items[i].Created.Before(items[j].Created)
		}
		return items[i].ID < items[j].ID
	})
}

// Reconciler is a Quarantine that keeps an index apart from its records
// (JetStream with an Index), which a crash or an outage between the two
// writes can leave behind. Reconcile makes the index whole again; the
// retention sweep runs it first, so that no item escapes the sweep.
type Reconciler interface {
	Reconcile(ctx context.Context) error
}
