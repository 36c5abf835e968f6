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
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

func newFS(t *testing.T) (*FS, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
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

func TestFSRoundTrip(t *testing.T) {
	s, _ := newFS(t)
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

func TestFSPutChecksGivenHash(t *testing.T) {
	s, _ := newFS(t)
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
}

func TestFSPathTraversalID(t *testing.T) {
	s, dir := newFS(t)
	os.WriteFile(filepath.Join(dir, "secret"), []byte("x"), 0o600)
	for _, id := range []string{"../secret", "..", "a/b", "", "/etc/passwd", "items/../../secret", ".hidden"} {
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

func TestFSCorruptOriginal(t *testing.T) {
	s, dir := newFS(t)
	id := put(t, s, "a.zip", "original bytes", Item{})
	os.WriteFile(filepath.Join(dir, "items", id, originalFile), []byte("tampered bytes"), 0o600)
	if _, _, err := s.Get(context.Background(), id); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get = %v, want ErrCorrupt", err)
	}
}

func TestFSStates(t *testing.T) {
	s, dir := newFS(t)
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
	if _, err := os.Stat(filepath.Join(dir, "items", id, originalFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("purged original still on disk: %v", err)
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
}

func TestFSList(t *testing.T) {
	s, _ := newFS(t)
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

// TestFSCrashLeftovers: what a crash can leave behind (a half-written
// item in tmp, a record being replaced, a folder without its record) is
// never listed, and NewFS clears old leftovers.
func TestFSCrashLeftovers(t *testing.T) {
	s, dir := newFS(t)
	ctx := context.Background()
	id := put(t, s, "kept", "x", Item{})
	half := filepath.Join(dir, "tmp", "20260101T000000Z-0000000000000000.put-1")
	os.MkdirAll(half, 0o700)
	os.WriteFile(filepath.Join(half, originalFile), []byte("half"), 0o600)
	os.WriteFile(filepath.Join(dir, "items", id, itemFile+".tmp"), []byte(`{"id":"`), 0o600)
	os.MkdirAll(filepath.Join(dir, "items", "no-record"), 0o700)
	os.WriteFile(filepath.Join(dir, "items", "stray.tmp"), []byte("x"), 0o600)

	items, err := s.List(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].ID != id {
		t.Fatalf("listed %+v, want only %s", items, id)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(half, old, old)
	if _, err := NewFS(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(half); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("NewFS kept the leftover: %v", err)
	}
}

// TestFSKill9 kills a process that is storing items as fast as it can,
// at an arbitrary instant, and checks that every item listed afterwards
// is whole: its record reads and its original matches its SHA-256.
func TestFSKill9(t *testing.T) {
	if os.Getenv("MUGAI_STORE_CRASH_DIR") != "" {
		crashWriter(os.Getenv("MUGAI_STORE_CRASH_DIR"))
		return
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	dir := t.TempDir()
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFSKill9$")
		cmd.Env = append(os.Environ(), "MUGAI_STORE_CRASH_DIR="+dir)
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until it has stored a few items, then kill it mid-flight.
		buf := make([]byte, 1)
		for i := 0; i < 5+round*7; i++ {
			if _, err := stdout.Read(buf); err != nil {
				t.Fatal(err)
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	s, err := NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	items, err := s.List(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) < 5 {
		t.Fatalf("only %d items survived", len(items))
	}
	for _, it := range items {
		_, body := readAll(t, s, it.ID)
		if strconv.Itoa(len(body)) != it.Name {
			t.Errorf("%s: %d bytes, record says %s", it.ID, len(body), it.Name)
		}
	}
}

// crashWriter stores items until killed, printing a byte after each.
func crashWriter(dir string) {
	s, err := NewFS(dir)
	if err != nil {
		os.Exit(2)
	}
	for i := 1; ; i++ {
		body := bytes.Repeat([]byte{byte(i)}, i*4099)
		if _, err := s.Put(context.Background(), Item{Name: strconv.Itoa(len(body))}, bytes.NewReader(body)); err != nil {
			os.Exit(3)
		}
		os.Stdout.Write([]byte{'.'})
	}
}

func TestFSConcurrent(t *testing.T) {
	s, _ := newFS(t)
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
