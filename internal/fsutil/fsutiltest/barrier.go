// Package fsutiltest helps tests watch mugai's durability barriers.
package fsutiltest

import "sync"

// Barrier is a barrier (fsutil.NewFileSystemSync, or anything with its
// Sync) seen from a test: at each Sync it calls At, which looks at what
// the barrier is about to make durable, then passes the real barrier,
// or fails with At's error instead: a syncfs(2) error, which a real file
// system cannot be made to return on demand. Sync may be called from
// several goroutines; At is called by one at a time.
type Barrier struct {
	Real interface{ Sync() error }
	At   func() error

	mu    sync.Mutex
	syncs int
}

// Sync implements the barrier.
func (b *Barrier) Sync() error {
	b.mu.Lock()
	b.syncs++
	var err error
	if b.At != nil {
		err = b.At()
	}
	b.mu.Unlock()
	if err != nil {
		return err
	}
	return b.Real.Sync()
}

// Syncs is the number of Sync calls so far.
func (b *Barrier) Syncs() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.syncs
}
