package fsutil

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestFolderSyncConcurrent has many writers create a file each and sync
// the folder at once: every one returns, without an error.
func TestFolderSyncConcurrent(t *testing.T) {
	dir := t.TempDir()
	s := NewFolderSync(dir)
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = os.WriteFile(filepath.Join(dir, fmt.Sprint(i)), []byte("x"), 0o600); errs[i] == nil {
				errs[i] = s.Sync()
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	if s.started != s.finished || s.started == 0 || s.started > 50 {
		t.Fatalf("%d fsyncs begun, %d finished for 50 writers", s.started, s.finished)
	}
}

// TestFolderSyncFails: a folder that cannot be synced fails its callers,
// and one that can again succeeds.
func TestFolderSyncFails(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	s := NewFolderSync(dir)
	if err := s.Sync(); err == nil {
		t.Fatal("syncing a missing folder succeeded")
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatalf("after the folder came back: %v", err)
	}
}

// TestFileSystemSync: the barrier for a whole file system passes for
// concurrent callers sharing syncs, and fails for a folder that is not
// there.
func TestFileSystemSync(t *testing.T) {
	dir := t.TempDir()
	s := NewFileSystemSync(dir)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = os.WriteFile(filepath.Join(dir, fmt.Sprint(i)), []byte("x"), 0o600); errs[i] == nil {
				errs[i] = s.Sync()
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	if s.started != s.finished || s.started == 0 || s.started > 20 {
		t.Fatalf("%d syncs begun, %d finished for 20 writers", s.started, s.finished)
	}
	if err := NewFileSystemSync(filepath.Join(dir, "missing")).Sync(); err == nil {
		t.Fatal("a barrier on a missing folder passed")
	}
}
