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
//     that rename, before the spool file goes (reaper, here).
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

// leaving holds what waits for the next barrier: the spool files of
// processed messages (the barrier makes their outbox entries' renames
// and their rows durable), and the outbox entries of finished
// deliveries (it makes their rows durable).
type leaving struct {
	mu     sync.Mutex
	spool  []string
	outbox []string
	wake   chan struct{}
	// reaping is held by a pass of reap: the relay's last one may
	// come from the delivery scheduler while the reaper makes its own.
	reaping sync.Mutex
}

// leaveSpool hands a processed message to the reaper: its spool file
// goes, and its delivery starts, once the next barrier has passed. The
// worker does not wait for that barrier: one pass covers the messages of
// every worker that finished meanwhile.
func (r *Relay) leaveSpool(id string) { r.leaving.add(&r.leaving.spool, id) }

// leaveOutbox hands a finished delivery to the reaper: its outbox entry
// goes, and its job (on a cluster) is acknowledged, once the next
// barrier has passed. The delivery does not wait for that barrier
// either. Until then the entry stays where it is and the scheduler
// passes it over (finished); an entry still there at the next start,
// its results in the journal, is finished again without being sent.
func (r *Relay) leaveOutbox(id string) { r.leaving.add(&r.leaving.outbox, id) }

func (l *leaving) add(list *[]string, id string) {
	l.mu.Lock()
	*list = append(*list, id)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// reaper passes one barrier for each group of what was left, until the
// relay stops. A message it has not reached by then keeps its spool
// file and is processed again at the next start, where its outbox entry
// is found in place.
func (r *Relay) reaper() {
	defer r.wg.Done()
	for {
		select {
		case <-r.leaving.wake:
			// After a failed barrier, try again a scan later.
			for !r.reap() && sleepCtx(r.ctx, r.opts.ScanInterval) {
			}
		case <-r.ctx.Done():
			r.reap()
			return
		}
	}
}

// waiting reports whether id was handed to the reaper and its spool file
// is not yet gone: processing it again would find its outbox entry in
// place or, if delivery had already taken it, not at all and deliver it
// again.
func (l *leaving) waiting(id string) bool { return l.holds(&l.spool, id) }

// finished reports whether id's delivery is done and its outbox entry
// waits for the reaper.
func (l *leaving) finished(id string) bool { return l.holds(&l.outbox, id) }

func (l *leaving) holds(list *[]string, id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Contains(*list, id)
}

// reap removes the spool files and outbox entries handed over so far,
// behind one barrier, and reports false if the barrier failed, keeping
// them for the next try.
//
// QUIRK: the removals are not made durable. A process crash cannot undo
// them (the kernel has them); only a power loss can, and then a
// message is processed again, or a delivery finished again: at most a
// second delivery, never a loss.
func (r *Relay) reap() bool {
	l := &r.leaving
	l.reaping.Lock()
	defer l.reaping.Unlock()
	l.mu.Lock()
	spool, outbox := slices.Clone(l.spool), slices.Clone(l.outbox)
	l.mu.Unlock()
	if len(spool)+len(outbox) == 0 {
		return true
	}
	if err := r.outbox.durable.Sync(); err != nil {
		r.log.Error("the barrier before removing spool files and outbox entries failed", "messages", len(spool)+len(outbox), "err", err)
		return false
	}
	for _, id := range spool {
		if err := os.Remove(filepath.Join(r.spool.incoming(), id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			r.log.Error("process: removing the spool file", "item_id", id, "err", err)
			continue
		}
		r.tries.doneTries(id)
		r.queueDeliver(id)
	}
	ctx, cancel := bookkeeping(r.ctx)
	defer cancel()
	for _, id := range outbox {
		if err := r.outbox.removeDone(id); err != nil {
			// Left in the outbox: the next scan finishes it again.
			r.log.Error("deliver: removing the delivered entry", "item_id", id, "err", err)
		}
		r.jobDone(ctx, id)
	}
	l.mu.Lock()
	// What was handed over since is kept.
	l.spool, l.outbox = l.spool[len(spool):], l.outbox[len(outbox):]
	l.mu.Unlock()
	return true
}
