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
	syncConcurrently(t, dir, NewFolderSync(dir), 50)
}

// syncConcurrently has n writers each write a file into dir and pass s
// at once: every one passes, and s's syncs, all finished, are shared
// (at most one a writer, at least one in all).
func syncConcurrently(t *testing.T, dir string, s *FolderSync, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
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
	if s.started != s.finished || s.started == 0 || s.started > uint64(n) {
		t.Fatalf("%d syncs begun, %d finished for %d writers", s.started, s.finished, n)
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
	syncConcurrently(t, dir, NewFileSystemSync(dir), 20)
	if err := NewFileSystemSync(filepath.Join(dir, "missing")).Sync(); err == nil {
		t.Fatal("a barrier on a missing folder passed")
	}
}
