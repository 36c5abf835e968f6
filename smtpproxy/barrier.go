package smtpproxy

import (
	"io"
	"os"
)

// The data folder's barrier (outbox.durable, fsutil.NewFileSystemSync)
// is one syncfs(2) of its file system, shared by every caller that
// arrives while one runs: what mugai must make durable at once, it
// makes durable in groups, as a database commits its log.
//
//   - The spool commit (spool.go): the file and its name in incoming,
//     before "250".
//   - Processing (queueOutbox, here): the quarantine item and the
//     outbox entry, before the entry is renamed into the outbox.
//   - The results journal (results.go): a downstream's final reply,
//     before anything else.
//
// queueOutbox writes a processed message's outbox entry behind the
// barrier. The spool file is the durable copy of a message until
// processing removes it: every step before that is redone from it after
// a crash. So the quarantine item (a hard link to the spool file and a
// record, store.Linker) and the outbox entry are written without an
// fsync of their own, and the barrier makes both durable before the
// entry is renamed into the outbox, where delivery may take it, and so
// before the spool file goes. This takes the place of about five fsyncs
// a message (the item's record and two folders, the entry and its
// folder) with a share of one.
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
	return r.outbox.place(tmp, e.ID)
}
