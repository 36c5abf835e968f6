package meta

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestSQLiteRoundTrip(t *testing.T) {
	ctx := context.Background()
	h, err := OpenDB(ctx, filepath.Join(t.TempDir(), "mugai.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	db, err := NewSQLite(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
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
}
