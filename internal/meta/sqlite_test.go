package meta

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

// TestSQLiteDurabilityLevels: on mugai.db every connection of the
// shared pool commits at synchronous=FULL and the relay's writes go
// through connections at NORMAL, but for the audit trail, which is
// written through the shared pool: with the relay's pool closed, its
// rows can no longer be written and audit rows still can.
func TestSQLiteDurabilityLevels(t *testing.T) {
	ctx := context.Background()
	h, err := OpenDB(ctx, filepath.Join(t.TempDir(), "mugai.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	s, err := NewSQLite(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	// Several connections at once, so that the pool opens more than
	// one: the level is each connection's.
	levels := func(db *sql.DB, n int) []int {
		var out []int
		var conns []*sql.Conn
		for range n {
			c, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
			var level int
			if err := c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&level); err != nil {
				t.Fatal(err)
			}
			out = append(out, level)
		}
		for _, c := range conns {
			c.Close()
		}
		return out
	}
	for _, l := range levels(h.DB, 3) {
		if l != 2 {
			t.Errorf("a connection of the shared pool at synchronous=%d, want 2 (FULL)", l)
		}
	}
	for _, l := range levels(h.relaxed, 1) {
		if l != 1 {
			t.Errorf("the relay's connection at synchronous=%d, want 1 (NORMAL)", l)
		}
	}

	m := Message{ID: "20261207T000000Z-lvl", Received: time.Now(), From: "a@example.com", To: []string{"b@lg.jp"}, State: Queued}
	if err := s.PutMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	h.relaxed.Close()
	if err := s.SetState(ctx, m.ID, Delivered, ""); err == nil {
		t.Error("a relay write succeeded with the relay's pool closed: it did not go through it")
	}
	if err := s.Audit(ctx, Event{Actor: "admin", Action: "queue-delete", Target: m.ID}); err != nil {
		t.Errorf("an audit row with the relay's pool closed: %v; it must go through the shared pool", err)
	}
	if ev, err := s.Events(ctx, m.ID); err != nil || len(ev) != 1 {
		t.Errorf("audit rows: %v (%v), want 1", ev, err)
	}
}
