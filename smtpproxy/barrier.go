package smtpproxy

import (
	"io"
	"os"
)

// queueOutbox writes a processed message's outbox entry behind one
// barrier for everything processing wrote.
//
// The spool file is the durable copy of a message until processing
// removes it: every step before that is redone from it after a crash.
// So the quarantine item (a hard link to the spool file and a record,
// store.Linker) and the outbox entry are written without an fsync of
// their own, and one syncfs(2) of the data folder's file system
// (fsutil.NewFileSystemSync, shared by every worker whose message is at
// this step) makes both durable, for every message processed meanwhile,
// before the entry is renamed into the outbox, where delivery may take
// it, and so before the spool file goes. This takes the place of about
// five fsyncs a message (the item's record and two folders, the entry
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
	return r.outbox.place(tmp, e.ID)
}
