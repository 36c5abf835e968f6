package smtpproxy

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mugai-project/mugai/internal/meta"
)

// An administrator's delete (`mugai queue delete`, the console) removes
// an entry from the outbox folder, and first marks its row Deleted in
// the metadata database. On one node that is all: nothing delivers what
// is not in the outbox. On a cluster the entry is a job's, held by the
// relay on that folder, which may be another process than the one that
// deleted it: the relay honours the mark, not the call (doc.go,
// "Scale-out"). A held job whose files are gone and whose row says
// Deleted is acknowledged by keepJobs (releaseDeleted); a job handed out
// again whose row says so, to this node after a restart or to another
// after it died, is acknowledged when it is taken instead of being done
// again (settled).

// Delete removes an entry without delivering it: an administrator's
// decision, recorded in md with detail. The entry's row is marked
// Deleted before the entry goes (an entry with no row of its own, a
// site's mail or a release, gets one), so that on a cluster the job
// holding it is acknowledged and never done again, even if this process
// stops between the two.
func (q *Outbox) Delete(ctx context.Context, md meta.Store, id, detail string) error {
	if !validID(id) || !q.o.exists(id) {
		return fs.ErrNotExist
	}
	e, err := q.o.load(id)
	if err != nil {
		return err
	}
	err = md.SetState(ctx, id, meta.Deleted, detail)
	if errors.Is(err, meta.ErrNotFound) {
		err = md.PutMessage(ctx, meta.Message{
			ID: id, Received: e.Created, From: e.OrigFrom, To: e.addrs(), Kind: e.Kind,
			Outcome: "generated", State: meta.Deleted, Detail: detail,
		})
	}
	if err != nil {
		return err
	}
	// The row is durable before the entry goes (barrier.go).
	if err := q.o.durable.Sync(); err != nil {
		return err
	}
	return q.o.remove(id)
}

// settled reports whether a job needs no more work: its entry was
// deleted by an administrator, or, for a sanitize job, its message's
// row has any final state (a node finished it and died before
// acknowledging the job). Every job is looked up, not only those
// JetStream counts as handed out again: a job handed back at a
// graceful stop (Nak) to a consumer no node was pulling from comes
// back with a delivery count of 1. An error (the database does not
// answer) is returned for the job to be taken again later: a deleted
// entry is not delivered on a guess.
func (r *Relay) settled(j job) (bool, error) {
	ctx, cancel := context.WithTimeout(r.ctx, bookkeepingTimeout)
	defer cancel()
	m, err := r.meta.Message(ctx, j.ID)
	switch {
	case errors.Is(err, meta.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return m.State == meta.Deleted || j.Kind != jobDeliver && m.State != meta.Queued, nil
}

// releaseDeleted acknowledges the jobs of ids, held here, whose spool
// file and outbox entry are gone and whose row says Deleted: an
// administrator deleted the entry from this node's outbox folder.
func (r *Relay) releaseDeleted(ids []string) {
	for _, id := range ids {
		if _, err := os.Stat(filepath.Join(r.spool.incoming(), id)); err == nil || r.outbox.exists(id) {
			continue
		}
		ctx, cancel := context.WithTimeout(r.ctx, bookkeepingTimeout)
		if m, err := r.meta.Message(ctx, id); err == nil && m.State == meta.Deleted {
			r.log.Info("jobs: deleted by an administrator; job acknowledged", "item_id", id, "detail", m.Detail)
			r.jobDone(ctx, id)
		}
		cancel()
	}
}
