package fsutil

import "sync"

// FolderSync is group commit for fsyncs of one folder: Sync returns
// once an fsync of the folder that began after Sync was called has
// completed, so every rename or creation in the folder made before Sync
// is durable, exactly as with SyncDir. Callers that arrive while an
// fsync is running share the next one: under load one fsync covers the
// entries of every message that arrived in the same few milliseconds.
// The zero value is not usable; make one with NewFolderSync, or with
// NewFileSystemSync for the whole file system that holds a folder.
type FolderSync struct {
	dir  string
	sync func(dir string) error // SyncDir or syncFS
	mu   sync.Mutex
	cond *sync.Cond
	// started and finished number the fsyncs begun and completed; one
	// runs at a time, so they differ by at most one.
	started, finished uint64
	// failed is the number of the last fsync that failed, and err its
	// error.
	failed uint64
	err    error
}

// NewFolderSync returns a FolderSync for dir.
func NewFolderSync(dir string) *FolderSync { return newGroupSync(dir, SyncDir) }

// NewFileSystemSync returns a FolderSync whose Sync makes durable
// everything written, created, renamed or removed before it on the whole
// file system that holds dir, with one syncfs(2): the data of every file,
// and every folder. It is a barrier for writes that were made without
// an fsync of their own because they can be redone from a durable copy
// until the barrier has passed.
//
// It flushes what other programs wrote to that file system as well: on
// a file system of its own the cost is mugai's writes alone.
func NewFileSystemSync(dir string) *FolderSync { return newGroupSync(dir, syncFS) }

func newGroupSync(dir string, fn func(string) error) *FolderSync {
	s := &FolderSync{dir: dir, sync: fn}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// Dir is the folder it syncs.
func (s *FolderSync) Dir() string { return s.dir }

// Sync makes durable what was done in the folder before it was called.
// It fails, and the caller must not count on it, if the fsync that
// covers it failed, or (erring on the safe side) a later one failed
// before the caller saw its own.
func (s *FolderSync) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := s.started + 1 // the first fsync to begin from now on
	for s.finished < want {
		if s.started == s.finished {
			s.started++
			n := s.started
			s.mu.Unlock()
			err := s.sync(s.dir)
			s.mu.Lock()
			s.finished = n
			if err != nil {
				s.failed, s.err = n, err
			}
			s.cond.Broadcast()
			continue
		}
		s.cond.Wait()
	}
	if s.failed >= want {
		return s.err
	}
	return nil
}
