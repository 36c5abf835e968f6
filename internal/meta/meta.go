// Package meta is mugai's database, and in it the relay's metadata: one
// row per message the relay took in (envelope, what the sanitizer did,
// where it is now), the delivery attempts, and the audit log of
// administrator actions.
//
// DB (db.go) is the database every part of mugai shares: mugai.db on one
// machine (modernc.org/sqlite, pure Go, WAL journal so readers never
// block the writer), or PostgreSQL for several nodes (jackc/pgx through
// database/sql). It holds what differs between the two, so that each
// part (the relay's Store here, internal/auth, internal/audit, transfer)
// runs the same queries on either; Schema (migrate.go) declares a
// part's tables once for both, versioned per part in schema_migrations
// and migrated by one node at a time under a pg_advisory_lock; Lead
// (lead.go) runs a periodic duty on one node at a time.
//
// Store is the interface the relay and the command-line tools use.
// SQLite implements it on one machine (writes group-committed);
// Postgres implements it on a cluster's database. Both run the same
// queries (store.go). Every write is an upsert or an append, so a step
// redone after a crash leaves the same rows.
package meta

import (
	"context"
	"errors"
	"time"
)

// Message states.
const (
	Queued    = "queued"    // in the outbox
	Delivered = "delivered" // every recipient accepted it
	Bounced   = "bounced"   // some recipient failed for good; a DSN was queued
	Failed    = "failed"    // could not be delivered and no DSN could be sent
	Deleted   = "deleted"   // removed from the queue by an administrator
)

// Message is one message's record.
type Message struct {
	ID       string    `json:"id"`
	Received time.Time `json:"received"`
	From     string    `json:"from"`
	To       []string  `json:"to"`
	ClientIP string    `json:"client_ip,omitempty"`
	Size     int64     `json:"size"`
	SHA256   string    `json:"sha256"`
	// Outcome is what the sanitizer did: "sanitized" or "withheld";
	// Reason the withholding reason code.
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
	// Kind is "message", "notice" or "dsn": what went into the outbox.
	Kind    string    `json:"kind,omitempty"`
	State   string    `json:"state"`
	Detail  string    `json:"detail,omitempty"`
	Updated time.Time `json:"updated"`
}

// Attempt is one delivery attempt for one recipient.
type Attempt struct {
	MessageID string    `json:"message_id"`
	Time      time.Time `json:"time"`
	Rcpt      string    `json:"rcpt"`
	Result    string    `json:"result"` // "attempt", "delivered", "deferred", "failed"
	Reply     string    `json:"reply,omitempty"`
}

// Event is one audited administrator action.
type Event struct {
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail,omitempty"`
}

// Filter selects messages.
type Filter struct {
	State string
	Limit int // 0: all
}

// Store is the metadata database.
type Store interface {
	// PutMessage inserts or replaces a message's record.
	PutMessage(ctx context.Context, m Message) error
	// SetState changes a message's state.
	SetState(ctx context.Context, id, state, detail string) error
	Message(ctx context.Context, id string) (Message, error)
	Messages(ctx context.Context, f Filter) ([]Message, error)
	AddAttempt(ctx context.Context, a Attempt) error
	Attempts(ctx context.Context, id string) ([]Attempt, error)
	Audit(ctx context.Context, e Event) error
	Events(ctx context.Context, target string) ([]Event, error)
}

// ErrNotFound is returned for an unknown message ID.
var ErrNotFound = errors.New("meta: no such message")
