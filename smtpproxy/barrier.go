package smtpproxy

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// The data folder's barrier (outbox.durable, fsutil.NewFileSystemSync)
// is one syncfs(2) of its file system, shared by every caller that
// arrives while one runs: what mugai must make durable at once, it
// makes durable in groups, as a database commits its log.
//
//   - The spool commit (spool.go): the file and its name in incoming,
//     before "250".
//   - Processing (queueOutbox, here): the quarantine item and the
//     outbox entry, before the entry is renamed into the outbox; then
//     that rename, before the spool file goes (spoolReaper, here).
//   - The results journal (results.go): a downstream's final reply,
//     before anything else.
//   - The record in mugai.db: on one machine the relay's rows are
//     committed without an fsync of their own (meta.OpenDB), so a
//     message's row, its state and its attempts pass the barrier before
//     the file they could be redone from changes or goes: the spool
//     file (the reaper's barrier covers the row processing wrote), the
//     outbox entry of a finished delivery (finish, deliver.go), of a
//     DSN held for want of a return path, of an entry an administrator
//     deleted (deleted.go).
//
// queueOutbox writes a processed message's outbox entry behind the
// barrier. The spool file is the durable copy of a message until
// processing removes it: every step before that is redone from it after
// a crash. So the quarantine item (a hard link to the spool file and a
// record, store.Linker) and the outbox entry are written without an
// fsync of their own, and the barrier makes both durable before the
// entry is linked into the outbox, where delivery may take it, and so
// before the spool file goes. This takes the place of about five fsyncs
// a message (the item's record and original and their folder, the entry
// and its folder) with a share of one.
func (r *Relay) queueOutbox(e *Entry, msg io.Reader) error {
	tmp, err := r.outbox.stage(e, msg, false)
	if err == nil {
		err = r.outbox.durable.Sync()
	}
	if err != nil || tmp == "" {
		if tmp != "" {
			os.RemoveAll(tmp)
		}
		return err
	}
	return r.outbox.place(tmp, e.ID, false)
}

// leaving holds the messages whose processing is done and whose spool
// files wait for the barrier that makes their outbox entries' renames
// durable.
type leaving struct {
	mu   sync.Mutex
	ids  []string
	wake chan struct{}
}

// leaveSpool hands a processed message to spoolReaper: its spool file
// goes, and its delivery starts, once the next barrier has passed. The
// worker does not wait for that barrier: one pass covers the messages of
// every worker that finished meanwhile.
func (r *Relay) leaveSpool(id string) {
	l := &r.leaving
	l.mu.Lock()
	l.ids = append(l.ids, id)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// spoolReaper removes the spool files of processed messages behind one
// barrier for each group, until the relay stops. A message it has not
// reached by then keeps its spool file and is processed again at the
// next start, where its outbox entry is found in place.
func (r *Relay) spoolReaper() {
	defer r.wg.Done()
	for {
		select {
		case <-r.leaving.wake:
			// After a failed barrier, try again a scan later.
			for !r.reapSpool() && sleepCtx(r.ctx, r.opts.ScanInterval) {
			}
		case <-r.ctx.Done():
			r.reapSpool()
			return
		}
	}
}

// waiting reports whether id was handed to spoolReaper and is not yet
// gone: processing it again would find its outbox entry in place or, if
// delivery had already taken it, not at all and deliver it again.
func (l *leaving) waiting(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Contains(l.ids, id)
}

// reapSpool removes the spool files handed over so far, and reports
// false if the barrier failed, keeping them for the next try.
//
// QUIRK: the removals are not made durable. A process crash cannot undo
// them (the kernel has them); only a power loss can, and then the
// message is processed again: at most a second delivery, never a loss.
func (r *Relay) reapSpool() bool {
	l := &r.leaving
	l.mu.Lock()
	ids := slices.Clone(l.ids)
	l.mu.Unlock()
	if len(ids) == 0 {
		return true
	}
	if err := r.outbox.durable.Sync(); err != nil {
		r.log.Error("process: the barrier before removing spool files failed", "messages", len(ids), "err", err)
		return false
	}
	for _, id := range ids {
		if err := os.Remove(filepath.Join(r.spool.incoming(), id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			r.log.Error("process: removing the spool file", "item_id", id, "err", err)
			continue
		}
		r.tries.doneTries(id)
		r.queueDeliver(id)
	}
	l.mu.Lock()
	l.ids = l.ids[len(ids):] // handed over since are kept
	l.mu.Unlock()
	return true
}
