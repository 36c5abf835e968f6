package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"
)

// backend is one Quarantine implementation under test.
type backend struct {
	name string
	// start prepares what the backend needs for t and its subtests (a
	// NATS cluster) and returns how to open a new, empty store; it
	// skips t when a part is missing.
	start func(t *testing.T) (open func(t *testing.T) Quarantine)
	// corrupt replaces the stored original of id by b behind the
	// store's back, as a failing disk or a hand would.
	corrupt func(t *testing.T, q Quarantine, id string, b []byte)
	// originalGone reports whether the original of id is gone from the
	// storage under the store.
	originalGone func(t *testing.T, q Quarantine, id string) bool
}

var backends = []backend{
	{
		name: "fs",
		start: func(*testing.T) func(*testing.T) Quarantine {
			return func(t *testing.T) Quarantine { s, _ := newFS(t); return s }
		},
		corrupt: func(t *testing.T, q Quarantine, id string, b []byte) {
			if err := os.WriteFile(q.(*FS).originalPath(id), b, 0o600); err != nil {
				t.Fatal(err)
			}
		},
		originalGone: func(_ *testing.T, q Quarantine, id string) bool {
			_, err := os.Stat(q.(*FS).originalPath(id))
			return errors.Is(err, os.ErrNotExist)
		},
	},
	jetStreamBackend,
	indexedJetStreamBackend,
}

// eachBackend runs every case against a new, empty store of every
// backend: TestX/backend/case.
func eachBackend(t *testing.T, cases []quarantineCase) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			open := b.start(t)
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { c.test(t, b, open(t)) })
			}
		})
	}
}

type quarantineCase struct {
	name string
	test func(t *testing.T, b backend, s Quarantine)
}

// TestQuarantine proves the Quarantine contract on every backend.
func TestQuarantine(t *testing.T) {
	eachBackend(t, []quarantineCase{
		{"RoundTrip", testRoundTrip},
		{"PutChecksGivenHash", testPutChecksGivenHash},
		{"PathTraversalID", testPathTraversalID},
		{"CorruptOriginal", testCorruptOriginal},
		{"States", testStates},
		{"Describe", testDescribe},
		{"List", testList},
		{"PutIgnoresOffset", testPutIgnoresOffset},
		{"Concurrent", testConcurrent},
	})
}

func put(t *testing.T, s Quarantine, name, body string, it Item) string {
	t.Helper()
	it.Name = name
	id, err := s.Put(context.Background(), it, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func readAll(t *testing.T, s Quarantine, id string) (Item, string) {
	t.Helper()
	it, rc, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return it, string(b)
}

func testRoundTrip(t *testing.T, _ backend, s Quarantine) {
	body := "PK\x03\x04 見積書.zip の原本"
	sum := sha256.Sum256([]byte(body))
	rep := json.RawMessage(`{"id":"r1","withheld":true}`)
	id := put(t, s, "見積書.zip", body, Item{Reason: "encrypted", Report: rep, RetainUntil: time.Now().Add(90 * 24 * time.Hour), Source: "smtp",
		Meta: map[string]string{"message_id": "<a@b>"}})
	if !ValidID(id) {
		t.Fatalf("id %q", id)
	}
	it, got := readAll(t, s, id)
	if got != body {
		t.Errorf("original = %q", got)
	}
	if it.SHA256 != hex.EncodeToString(sum[:]) || it.Size != int64(len(body)) || it.State != Held || it.Name != "見積書.zip" ||
		it.Reason != "encrypted" || string(it.Report) != string(rep) || it.Meta["message_id"] != "<a@b>" || it.Created.IsZero() {
		t.Errorf("item = %+v", it)
	}
	if err := s.Delete(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(context.Background(), id); !errors.Is(err, ErrNotFound) {
		t.Errorf("after Delete: %v", err)
	}
	if err := s.Delete(context.Background(), id); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete: %v", err)
	}
}

func testPutChecksGivenHash(t *testing.T, _ backend, s Quarantine) {
	_, err := s.Put(context.Background(), Item{SHA256: "00"}, bytes.NewReader([]byte("x")))
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
	if items, _ := s.List(context.Background(), Filter{}); len(items) != 0 {
		t.Errorf("a refused item is listed: %v", items)
	}
	id := put(t, s, "a", "a", Item{ID: "fixed-id"})
	if _, err := s.Put(context.Background(), Item{ID: id}, bytes.NewReader(nil)); !errors.Is(err, ErrExists) {
		t.Errorf("reused ID: %v", err)
	}
	if _, body := readAll(t, s, id); body != "a" {
		t.Errorf("the refused Put changed the original: %q", body)
	}
}

func testPathTraversalID(t *testing.T, _ backend, s Quarantine) {
	for _, id := range []string{"../secret", "..", "a/b", "", "/etc/passwd", "items/../../secret", ".hidden", "i.*", "a.b"} {
		if _, _, err := s.Get(context.Background(), id); !errors.Is(err, ErrInvalidID) {
			t.Errorf("Get(%q) = %v, want ErrInvalidID", id, err)
		}
		if err := s.Delete(context.Background(), id); !errors.Is(err, ErrInvalidID) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidID", id, err)
		}
		if _, err := s.Put(context.Background(), Item{ID: id}, bytes.NewReader(nil)); id != "" && !errors.Is(err, ErrInvalidID) {
			t.Errorf("Put(ID %q) = %v, want ErrInvalidID", id, err)
		}
	}
}

func testCorruptOriginal(t *testing.T, b backend, s Quarantine) {
	id := put(t, s, "a.zip", "original bytes", Item{})
	b.corrupt(t, s, id, []byte("tampered bytes"))
	if _, _, err := s.Get(context.Background(), id); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get = %v, want ErrCorrupt", err)
	}
}

func testStates(t *testing.T, b backend, s Quarantine) {
	ctx := context.Background()
	id := put(t, s, "a.zip", "x", Item{})
	if err := s.SetState(ctx, id, Released, "admin@example.lg.jp"); err != nil {
		t.Fatal(err)
	}
	it, _ := readAll(t, s, id)
	if it.State != Released || it.StateBy != "admin@example.lg.jp" {
		t.Errorf("item = %+v", it)
	}
	if err := s.SetState(ctx, id, Purged, "retention"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, id); !errors.Is(err, ErrPurged) {
		t.Errorf("Get purged = %v", err)
	}
	if !b.originalGone(t, s, id) {
		t.Error("the purged original is still stored")
	}
	if items, _ := s.List(ctx, Filter{State: Purged}); len(items) != 1 {
		t.Errorf("purged record not kept: %v", items)
	}
	if err := s.SetState(ctx, id, Held, "x"); !errors.Is(err, ErrPurged) {
		t.Errorf("un-purge = %v", err)
	}
	if err := s.SetState(ctx, id, "gone", "x"); err == nil {
		t.Error("unknown state accepted")
	}
	if err := s.SetState(ctx, "no-such-item", Released, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetState of a missing item = %v", err)
	}
}

// testDescribe: what the sanitizer found is recorded on an item kept
// before it was sanitized; its original and state stay as they were.
func testDescribe(t *testing.T, _ backend, s Quarantine) {
	ctx := context.Background()
	id := put(t, s, "a.zip", "the original", Item{Reason: "uploaded"})
	d := Description{MediaType: "application/zip", Reason: "encrypted", Report: json.RawMessage(`{"action":"hold"}`)}
	if err := s.Describe(ctx, id, d); err != nil {
		t.Fatal(err)
	}
	it, body := readAll(t, s, id)
	if it.Reason != "encrypted" || it.MediaType != "application/zip" || string(it.Report) != `{"action":"hold"}` || it.State != Held || body != "the original" {
		t.Errorf("described item = %+v, original %q", it, body)
	}
	if items, _ := s.List(ctx, Filter{Reason: "encrypted"}); len(items) != 1 {
		t.Errorf("List by the described reason = %v", items)
	}
	if err := s.Describe(ctx, "no-such-item", d); !errors.Is(err, ErrNotFound) {
		t.Errorf("Describe of a missing item = %v", err)
	}
}

func testList(t *testing.T, _ backend, s Quarantine) {
	ctx := context.Background()
	base := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 5; i++ {
		reason := "encrypted"
		if i%2 == 1 {
			reason = "executable"
		}
		put(t, s, fmt.Sprint(i), "x", Item{Created: base.Add(time.Duration(i) * time.Hour), Reason: reason, RetainUntil: base.AddDate(0, 0, i)})
	}
	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"all", Filter{}, []string{"0", "1", "2", "3", "4"}},
		{"reason", Filter{Reason: "executable"}, []string{"1", "3"}},
		{"since until", Filter{Since: base.Add(time.Hour), Until: base.Add(3 * time.Hour)}, []string{"1", "2"}},
		{"expired", Filter{Expired: base.AddDate(0, 0, 2)}, []string{"0", "1"}},
		{"limit", Filter{Limit: 2}, []string{"0", "1"}},
		{"state", Filter{State: Released}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := s.List(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range items {
				got = append(got, it.Name)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// testPutIgnoresOffset: an Offset given to Put is not taken over: Put
// stores exactly what it read.
func testPutIgnoresOffset(t *testing.T, _ backend, s Quarantine) {
	put(t, s, "a.txt", "whole", Item{ID: "p1", Offset: 3})
	it, rc, err := s.Get(context.Background(), "p1")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	if string(b) != "whole" || it.Offset != 0 {
		t.Fatalf("got %q, offset %d", b, it.Offset)
	}
}

func testConcurrent(t *testing.T, _ backend, s Quarantine) {
	ctx := context.Background()
	var wg sync.WaitGroup
	ids := make(chan string, 64)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 8; i++ {
				body := fmt.Sprintf("worker %d item %d", w, i)
				id, err := s.Put(ctx, Item{Name: body}, bytes.NewReader([]byte(body)))
				if err != nil {
					t.Error(err)
					return
				}
				ids <- id
				if _, err := s.List(ctx, Filter{}); err != nil {
					t.Error(err)
				}
			}
		}(w)
	}
	go func() { wg.Wait(); close(ids) }()
	var all []string
	var wg2 sync.WaitGroup
	for id := range ids {
		all = append(all, id)
		wg2.Add(1)
		go func(id string) {
			defer wg2.Done()
			it, rc, err := s.Get(ctx, id)
			if err != nil {
				t.Error(err)
				return
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || string(b) != it.Name {
				t.Errorf("%s: %q, %v", id, b, err)
			}
			if err := s.SetState(ctx, id, Released, "w"); err != nil {
				t.Error(err)
			}
		}(id)
	}
	wg2.Wait()
	items, err := s.List(ctx, Filter{State: Released})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 64 || len(all) != 64 {
		t.Errorf("%d released of %d stored, want 64", len(items), len(all))
	}
	// Delete them all concurrently with listing.
	var wg3 sync.WaitGroup
	for _, id := range all {
		wg3.Add(2)
		go func(id string) { defer wg3.Done(); s.Delete(ctx, id) }(id)
		go func() { defer wg3.Done(); s.List(ctx, Filter{}) }()
	}
	wg3.Wait()
	if items, _ := s.List(ctx, Filter{}); len(items) != 0 {
		t.Errorf("%d items left after deleting all", len(items))
	}
}
