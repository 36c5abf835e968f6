package store

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/meta"
)

// requests is a set of open requests for originals, as the download
// site keeps them: the retention's Holds.
type requests struct {
	mu   sync.Mutex
	open map[string]bool
	err  error
}

func (r *requests) holds(_ context.Context, id string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.open[id], r.err
}

func newRetention(t *testing.T, s Quarantine, now *time.Time, reqs *requests) (*Retention, *audit.Log) {
	t.Helper()
	db, err := meta.OpenDB(context.Background(), filepath.Join(t.TempDir(), "mugai.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log, err := audit.New(context.Background(), db, filepath.Join(t.TempDir(), "system.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	return &Retention{Quarantine: s, Audit: log, Holds: reqs.holds, Now: func() time.Time { return *now }}, log
}

// TestRetention proves the retention sweep on every backend.
func TestRetention(t *testing.T) {
	eachBackend(t, []quarantineCase{
		{"PurgesExactlyTheExpired", testRetentionPurgesExactlyTheExpired},
		{"KeepsAllWhenHoldsCannotAnswer", testRetentionKeepsAllWhenHoldsCannotAnswer},
	})
}

func testRetentionPurgesExactlyTheExpired(t *testing.T, b backend, s Quarantine) {
	ctx := context.Background()
	start := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	now := start
	reqs := &requests{open: map[string]bool{}}
	r, log := newRetention(t, s, &now, reqs)

	// A mail kept 180 days and an upload kept 90, both past their end;
	// an expired one someone asked for; one released and expired; one
	// still within its retention.
	mail := put(t, s, "message.eml", "From: a@example.jp\r\n\r\nx", Item{Source: "smtp", RetainUntil: start.Add(180 * 24 * time.Hour)})
	upload := put(t, s, "見積書.xlsx", "PK upload", Item{Source: "upload", RetainUntil: start.Add(90 * 24 * time.Hour)})
	asked := put(t, s, "契約書.docx", "PK asked", Item{Source: "upload", RetainUntil: start.Add(90 * 24 * time.Hour)})
	released := put(t, s, "released.pdf", "%PDF released", Item{Source: "upload", RetainUntil: start.Add(30 * 24 * time.Hour)})
	young := put(t, s, "young.eml", "young", Item{Source: "smtp", RetainUntil: start.Add(400 * 24 * time.Hour)})
	if err := s.SetState(ctx, released, Released, "approver"); err != nil {
		t.Fatal(err)
	}
	reqs.open[asked] = true

	now = start.Add(100 * 24 * time.Hour) // the upload's and the released item's retention are over
	if n, err := r.Sweep(ctx); err != nil || n != 2 {
		t.Fatalf("sweep at 100 days = %d, %v; want the upload and the released item", n, err)
	}
	now = start.Add(200 * 24 * time.Hour)
	if n, err := r.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep at 200 days = %d, %v; want the mail", n, err)
	}
	want := map[string]State{mail: Purged, upload: Purged, released: Purged, asked: Held, young: Held}
	for id, st := range want {
		it, rc, err := s.Get(ctx, id)
		if rc != nil {
			rc.Close()
		}
		if it.State != st || (st == Purged) != errors.Is(err, ErrPurged) {
			t.Errorf("%s (%s): state %s, Get error %v; want %s", id, it.Name, it.State, err, st)
		}
		if st == Purged && !b.originalGone(t, s, id) {
			t.Errorf("%s (%s): purged, and its original is still stored", id, it.Name)
		}
	}
	events, err := log.Events(ctx, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	purged := map[string]bool{}
	for _, e := range events {
		if e.Action == audit.Purge {
			purged[e.Item] = true
		}
	}
	if len(purged) != 3 || !purged[mail] || !purged[upload] || !purged[released] {
		t.Fatalf("audit purges = %v; want the mail, the upload and the released item", purged)
	}

	// Once the request is decided, the next sweep purges the original.
	reqs.mu.Lock()
	delete(reqs.open, asked)
	reqs.mu.Unlock()
	if n, err := r.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep after the request was decided = %d, %v; want 1", n, err)
	}
}

func testRetentionKeepsAllWhenHoldsCannotAnswer(t *testing.T, _ backend, s Quarantine) {
	ctx := context.Background()
	start := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	now := start.Add(365 * 24 * time.Hour)
	reqs := &requests{err: errors.New("database is locked")}
	r, _ := newRetention(t, s, &now, reqs)
	id := put(t, s, "message.eml", "x", Item{Source: "smtp", RetainUntil: start})
	if n, err := r.Sweep(ctx); n != 0 || err == nil {
		t.Fatalf("sweep while holds fail = %d, %v; want nothing purged and the error", n, err)
	}
	if it, rc, err := s.Get(ctx, id); err != nil || it.State != Held {
		t.Fatalf("item after a failed holds check: %s, %v", it.State, err)
	} else {
		rc.Close()
	}
}
