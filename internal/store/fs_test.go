package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
