package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/fsutil"
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

// TestFSCrashLeftovers: what a crash can leave behind (a half-written
// item in tmp, a record being replaced, an original without its record)
// is never listed, and NewFS clears the leftovers that have not changed
// for a minute.
func TestFSCrashLeftovers(t *testing.T) {
	s, dir := newFS(t)
	ctx := context.Background()
	id := put(t, s, "kept", "x", Item{})
	half := filepath.Join(dir, "tmp", "20260101T000000Z-0000000000000000.put-1")
	os.WriteFile(half, []byte("half"), 0o600)
	os.WriteFile(filepath.Join(dir, "items", "."+id+".tmp"), []byte(`{"id":"`), 0o600)
	orphan := s.originalPath("no-record")
	os.WriteFile(orphan, []byte("orphan"), 0o600)
	os.WriteFile(filepath.Join(dir, "items", "stray.tmp"), []byte("x"), 0o600)

	items, err := s.List(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].ID != id {
		t.Fatalf("listed %+v, want only %s", items, id)
	}
	// Opened again now, the leftovers are kept: another process may be
	// writing them (the orphan is an original PutLink has just linked:
	// its content is old, the link new).
	os.Chtimes(orphan, time.Now().Add(-time.Hour), time.Now().Add(-time.Hour))
	if _, err := NewFS(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{half, orphan} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("NewFS removed the fresh leftover %s: %v", f, err)
		}
	}
	// An hour later they go.
	s.now = func() time.Time { return time.Now().Add(time.Hour) }
	if err := s.clean(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{half, orphan} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("clean kept the leftover %s: %v", f, err)
		}
	}
	if _, b := readAll(t, s, id); b != "x" {
		t.Errorf("the kept item reads %q", b)
	}
}

// TestFSItemIsTwoFiles: an item is its record and its original, side
// by side, and no folder (an inode less for each).
func TestFSItemIsTwoFiles(t *testing.T) {
	s, dir := newFS(t)
	id := put(t, s, "a.txt", "x", Item{})
	ents, _ := os.ReadDir(filepath.Join(dir, "items"))
	var names []string
	for _, e := range ents {
		if !e.Type().IsRegular() {
			t.Errorf("%s is not a file", e.Name())
		}
		names = append(names, e.Name())
	}
	if len(names) != 2 || names[0] != id || names[1] != id+originalSuffix {
		t.Fatalf("items holds %v", names)
	}
}

// TestFSEarlierLayout: items an earlier version kept as folders
// (items/<id>/original and item.json), one of them purged (no
// original), and one whose move a crash cut half way, are read, listed
// and deleted as before once NewFS has moved them.
func TestFSEarlierLayout(t *testing.T) {
	s, dir := newFS(t)
	ctx := context.Background()
	a := put(t, s, "a.txt", "original a", Item{})
	b := put(t, s, "b.txt", "original b", Item{})
	c := put(t, s, "c.txt", "original c", Item{})
	if err := s.SetState(ctx, c, Purged, "admin"); err != nil {
		t.Fatal(err)
	}
	// Put them back as folders, b half moved (set aside, original out).
	for _, id := range []string{a, b, c} {
		folder := filepath.Join(dir, "items", id)
		if id == b {
			folder += fsutil.FolderAside
		}
		rec := filepath.Join(dir, "tmp", id+".rec")
		if err := os.Rename(s.recordPath(id), rec); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(folder, 0o700); err != nil {
			t.Fatal(err)
		}
		if id != b {
			os.Rename(s.originalPath(id), filepath.Join(folder, oldOriginalFile))
		}
		if err := os.Rename(rec, filepath.Join(folder, oldItemFile)); err != nil {
			t.Fatal(err)
		}
	}
	s, err := NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	items, err := s.List(ctx, Filter{})
	if err != nil || len(items) != 3 {
		t.Fatalf("listed %+v, %v: want the three", items, err)
	}
	for id, want := range map[string]string{a: "original a", b: "original b"} {
		if _, got := readAll(t, s, id); got != want {
			t.Errorf("%s reads %q", id, got)
		}
	}
	if _, _, err := s.Get(ctx, c); !errors.Is(err, ErrPurged) {
		t.Errorf("the purged item: %v", err)
	}
	if err := s.Delete(ctx, a); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "items"))
	for _, e := range ents {
		if e.IsDir() || strings.HasPrefix(e.Name(), a) {
			t.Errorf("left in items: %s", e.Name())
		}
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
