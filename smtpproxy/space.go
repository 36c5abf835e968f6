package smtpproxy

import (
	"time"

	"github.com/mugai-project/mugai/internal/fsutil"
)

// Free space. New mail is refused with 452 4.3.1 (RFC 1870 6.1, RFC 3463
// 4.3.1) while the spool's file system has less than Options.MinFree
// free, as Postfix's queue_minfree does, so that a full disk is met with
// a reserve left for the messages already accepted, not at 0 bytes. A
// spooled message whose processing failed for lack of space, or an
// outbox entry whose delivery records did, is retried as soon as space
// comes back, not only at the next ScanInterval.

// spacePoll is how often free space is read while a message waits for
// it.
const spacePoll = time.Second

// spoolHasRoom reports whether the spool's file system has the reserve
// free. A failed reading counts as room: the writes themselves still
// fail closed with 452 on ENOSPC.
func (r *Relay) spoolHasRoom() bool {
	free, err := fsutil.FreeBytes(r.spool.dir)
	if err != nil {
		r.log.Warn("smtp: reading free space", "err", err)
		return true
	}
	return free >= r.opts.MinFree
}

// noSpace notes that a step failed for lack of space, with the free
// space at that moment, for spaceBack.
func (r *Relay) noSpace() {
	free, _ := fsutil.FreeBytes(r.spool.dir)
	r.spaceLow.Store(free + 1)
}

// spaceBack queues the spool again, and wakes delivery, once space has
// come back after a step failed for lack of it: when the free space has
// grown by a message's worth or reached the reserve. Run every
// spacePoll.
func (r *Relay) spaceBack() {
	low := r.spaceLow.Load()
	if low == 0 {
		return
	}
	free, err := fsutil.FreeBytes(r.spool.dir)
	if err != nil || (free < low-1+r.opts.MaxMessageBytes && free < r.opts.MinFree) {
		return
	}
	r.spaceLow.Store(0)
	r.log.Info("process: space is back, retrying the spool", "free", free)
	if r.queueSpool() {
		r.wakeDeliver()
	}
}
