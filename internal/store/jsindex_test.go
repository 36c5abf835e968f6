package store

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/meta/pgtest"
	"github.com/mugai-project/mugai/internal/natstest"
)

// indexedJetStreamBackend is jetStreamBackend with its index in a real
// PostgreSQL server: every case of the contract, List's filters among
// them, runs against the index as against the records.
var indexedJetStreamBackend = backend{
	name: "jetstream-indexed",
	start: func(t *testing.T) func(*testing.T) Quarantine {
		db := openIndexDB(t)
		c := natstest.Start(t, 3)
		js := natstest.Connect(t, c.URLs())
		var n atomic.Int32
		return func(t *testing.T) Quarantine {
			return openJetStream(t, js, JetStreamOptions{Bucket: fmt.Sprintf("q%d", n.Add(1)), Index: db})
		}
	},
	corrupt:      jetStreamBackend.corrupt,
	originalGone: jetStreamBackend.originalGone,
}

// openIndexDB opens an empty database on a PostgreSQL server of the
// test's own.
func openIndexDB(t testing.TB) *meta.DB {
	t.Helper()
	return openPostgres(t, pgtest.Start(t).NewDatabase(t))
}

func openPostgres(t testing.TB, url string) *meta.DB {
	t.Helper()
	db, err := meta.OpenPostgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// listIDs returns the IDs s lists for f.
func listIDs(t *testing.T, s Quarantine, f Filter) []string {
	t.Helper()
	items, err := s.List(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	return ids
}

// TestJetStreamIndexReconcilesLostRow: an item whose row is missing (its
// row is deleted with SQL, as a crash between the record's write and the
// row's would leave it) is not listed until the reconcile that the
// retention sweep runs first gives it back its row; that sweep purges
// it, and List then shows it purged.
func TestJetStreamIndexReconcilesLostRow(t *testing.T) {
	db := openIndexDB(t)
	js := natstest.Connect(t, natstest.Start(t, 1).URLs())
	ctx := context.Background()
	s := openJetStream(t, js, JetStreamOptions{Bucket: "lost", Replicas: 1, Index: db})
	start := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	kept := put(t, s, "kept.zip", "kept", Item{Created: start, RetainUntil: start.AddDate(0, 0, 180)})
	if err := s.Reconcile(ctx); err != nil { // the watermark is above kept's record now
		t.Fatal(err)
	}
	lost := put(t, s, "lost.zip", "lost", Item{Created: start.Add(time.Hour), RetainUntil: start.AddDate(0, 0, 90)})
	// The crash between the two writes of lost's Put.
	if _, err := db.ExecContext(ctx, `DELETE FROM quarantine_index WHERE bucket = ? AND id = ?`, "lost", lost); err != nil {
		t.Fatal(err)
	}
	if got := listIDs(t, s, Filter{}); fmt.Sprint(got) != fmt.Sprint([]string{kept}) {
		t.Fatalf("listed %v with lost's row gone, want only %s: the test does not simulate the loss", got, kept)
	}

	now := start.AddDate(0, 0, 100)
	r, _ := newRetention(t, s, &now, &requests{open: map[string]bool{}})
	if n, err := r.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep purged %d, %v; want lost's original", n, err)
	}
	if got := listIDs(t, s, Filter{State: Purged}); fmt.Sprint(got) != fmt.Sprint([]string{lost}) {
		t.Errorf("purged: %v, want %s", got, lost)
	}
	if got := listIDs(t, s, Filter{}); fmt.Sprint(got) != fmt.Sprint([]string{kept, lost}) {
		t.Errorf("after the reconcile listed %v, want %s and %s", got, kept, lost)
	}
}

// TestJetStreamIndexWriteFails: when the database refuses a row after
// its record is written (the pool of one node closed under its store: a
// real fault), Put and SetState return the error and the record stands;
// the item is missing from List until the next reconcile, run by a node
// whose database answers, lists it as its record says.
func TestJetStreamIndexWriteFails(t *testing.T) {
	url := pgtest.Start(t).NewDatabase(t)
	js := natstest.Connect(t, natstest.Start(t, 1).URLs())
	ctx := context.Background()
	s := openJetStream(t, js, JetStreamOptions{Bucket: "down", Replicas: 1, Index: openPostgres(t, url)})
	down := openPostgres(t, url)
	other := openJetStream(t, js, JetStreamOptions{Bucket: "down", Replicas: 1, Index: down})
	released := put(t, s, "released.zip", "r", Item{})
	down.Close()

	stored, err := other.Put(ctx, Item{Name: "stored.zip"}, strings.NewReader("s"))
	if err == nil {
		t.Fatal("Put succeeded without its row")
	}
	if _, body := readAll(t, s, stored); body != "s" {
		t.Fatalf("the record of the refused row: %q", body)
	}
	if err := other.SetState(ctx, released, Released, "approver"); err == nil {
		t.Fatal("SetState succeeded without its row")
	}
	if got := listIDs(t, s, Filter{}); fmt.Sprint(got) != fmt.Sprint([]string{released}) {
		t.Fatalf("before the reconcile listed %v, want %s alone", got, released)
	}
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if got := listIDs(t, s, Filter{}); fmt.Sprint(got) != fmt.Sprint([]string{released, stored}) {
		t.Errorf("listed %v, want %s and %s", got, released, stored)
	}
	if got := listIDs(t, s, Filter{State: Released}); fmt.Sprint(got) != fmt.Sprint([]string{released}) {
		t.Errorf("released: %v, want %s", got, released)
	}
}

// TestJetStreamIndexShowsCurrentRecord: List gives each item as its
// record is now: a SetState shows at once, and a row that fell behind
// its record (its state set back with SQL, as a lost row write would
// leave it) does not make List give the old state.
func TestJetStreamIndexShowsCurrentRecord(t *testing.T) {
	db := openIndexDB(t)
	js := natstest.Connect(t, natstest.Start(t, 1).URLs())
	ctx := context.Background()
	s := openJetStream(t, js, JetStreamOptions{Bucket: "current", Replicas: 1, Index: db})
	id := put(t, s, "a.zip", "a", Item{})
	if err := s.SetState(ctx, id, Released, "approver@example.lg.jp"); err != nil {
		t.Fatal(err)
	}
	items, err := s.List(ctx, Filter{State: Released})
	if err != nil || len(items) != 1 || items[0].ID != id || items[0].State != Released || items[0].StateBy != "approver@example.lg.jp" {
		t.Fatalf("released: %+v, %v", items, err)
	}
	if got := listIDs(t, s, Filter{State: Held}); len(got) != 0 {
		t.Errorf("held: %v, want none", got)
	}
	// The row as Put wrote it, as if SetState's row write were lost.
	if _, err := db.ExecContext(ctx, `UPDATE quarantine_index SET state = 'held', revision = revision - 1 WHERE bucket = ? AND id = ?`, "current", id); err != nil {
		t.Fatal(err)
	}
	if got := listIDs(t, s, Filter{State: Held}); len(got) != 0 {
		t.Errorf("held by a stale row: %v, want none", got)
	}
	// The stale row fills List's first page; the held item after it is
	// on the next.
	held := put(t, s, "b.zip", "b", Item{})
	if got := listIDs(t, s, Filter{State: Held, Limit: 1}); fmt.Sprint(got) != fmt.Sprint([]string{held}) {
		t.Errorf("first held after a stale row: %v, want %s", got, held)
	}
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if got := listIDs(t, s, Filter{State: Released}); fmt.Sprint(got) != fmt.Sprint([]string{id}) {
		t.Errorf("released after the reconcile: %v, want %s", got, id)
	}
}
