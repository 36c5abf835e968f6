package meta

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/meta/pgtest"
)

// backends runs test on a fresh Store of each kind: SQLite, and
// PostgreSQL on a test server (skipped where its binaries are missing).
func backends(t *testing.T, test func(t *testing.T, db Store)) {
	t.Run("sqlite", func(t *testing.T) { test(t, openTestSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { test(t, openTestPostgres(t, pgtest.Start(t))) })
}

func openTestPostgres(t *testing.T, srv *pgtest.Server) *Postgres {
	t.Helper()
	ctx := context.Background()
	h, err := OpenPostgres(ctx, srv.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	db, err := NewPostgres(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestStoreRoundTrip(t *testing.T) {
	backends(t, func(t *testing.T, db Store) {
		ctx := context.Background()
		m := Message{ID: "20260101T000000Z-abc", Received: time.Now(), From: "a@example.com", To: []string{"b@lg.jp"}, State: Queued, Outcome: "sanitized"}
		// Put twice: a redone step leaves one row.
		for range 2 {
			if err := db.PutMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SetState(ctx, m.ID, Delivered, "250 ok"); err != nil {
			t.Fatal(err)
		}
		got, err := db.Message(ctx, m.ID)
		if err != nil || got.State != Delivered || got.To[0] != "b@lg.jp" {
			t.Fatalf("got %+v, %v", got, err)
		}
		all, _ := db.Messages(ctx, Filter{})
		if len(all) != 1 {
			t.Fatalf("%d rows, want 1", len(all))
		}
		if _, err := db.Message(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown id: %v", err)
		}
		if err := db.SetState(ctx, "nope", Delivered, ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown id: %v", err)
		}
		db.AddAttempt(ctx, Attempt{MessageID: m.ID, Rcpt: "b@lg.jp", Result: "attempt"})
		if a, _ := db.Attempts(ctx, m.ID); len(a) != 1 {
			t.Fatalf("attempts %v", a)
		}
		db.Audit(ctx, Event{Actor: "root", Action: "release", Target: m.ID})
		if e, _ := db.Events(ctx, m.ID); len(e) != 1 || e[0].Action != "release" {
			t.Fatalf("events %v", e)
		}
	})
}

// TestStoreFieldsAndOrder: every field comes back as it was put, times
// to the microsecond; Messages filters by state, lists oldest first and
// keeps to its limit; attempts and events come back in time order.
func TestStoreFieldsAndOrder(t *testing.T) {
	backends(t, func(t *testing.T, db Store) {
		ctx := context.Background()
		base := time.Date(2026, 12, 3, 9, 0, 0, 123456000, time.FixedZone("JST", 9*3600))
		for i, id := range []string{"c", "a", "b"} {
			m := Message{ID: id, Received: base.Add(time.Duration(i) * time.Minute), From: "a@example.com", To: []string{"x@lg.jp", "y@lg.jp"},
				ClientIP: "192.0.2.1", Size: 1 << 33, SHA256: "ab12", Outcome: "withheld", Reason: "encrypted", Kind: "notice",
				State: Queued, Detail: "d", Updated: base}
			if err := db.PutMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.Message(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		want := Message{ID: "a", Received: base.Add(time.Minute), From: "a@example.com", To: []string{"x@lg.jp", "y@lg.jp"},
			ClientIP: "192.0.2.1", Size: 1 << 33, SHA256: "ab12", Outcome: "withheld", Reason: "encrypted", Kind: "notice",
			State: Queued, Detail: "d", Updated: base}
		if !got.Received.Equal(want.Received) || !got.Updated.Equal(want.Updated) {
			t.Fatalf("times %v %v, want %v %v", got.Received, got.Updated, want.Received, want.Updated)
		}
		got.Received, got.Updated, want.Received, want.Updated = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if got.ID != want.ID || got.Size != want.Size || got.ClientIP != want.ClientIP || got.Reason != want.Reason ||
			got.Kind != want.Kind || got.Detail != want.Detail || len(got.To) != 2 || got.To[1] != "y@lg.jp" {
			t.Fatalf("got %+v\nwant %+v", got, want)
		}
		db.SetState(ctx, "b", Delivered, "")
		queued, _ := db.Messages(ctx, Filter{State: Queued})
		if len(queued) != 2 || queued[0].ID != "c" || queued[1].ID != "a" {
			t.Fatalf("queued %v", queued)
		}
		if one, _ := db.Messages(ctx, Filter{Limit: 1}); len(one) != 1 || one[0].ID != "c" {
			t.Fatalf("limit 1: %v", one)
		}
		for i, r := range []string{"deferred", "attempt", "delivered"} {
			db.AddAttempt(ctx, Attempt{MessageID: "a", Rcpt: "x@lg.jp", Result: r, Time: base.Add(time.Duration(2-i) * -time.Second)})
			db.Audit(ctx, Event{Actor: "root", Action: r, Target: "a", Time: base.Add(time.Duration(2-i) * -time.Second)})
		}
		if a, _ := db.Attempts(ctx, "a"); len(a) != 3 || a[0].Result != "deferred" || a[2].Result != "delivered" {
			t.Fatalf("attempts %v", a)
		}
		if e, _ := db.Events(ctx, "a"); len(e) != 3 || e[0].Action != "deferred" || e[2].Action != "delivered" {
			t.Fatalf("events %v", e)
		}
	})
}
