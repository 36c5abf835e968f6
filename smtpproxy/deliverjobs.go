package smtpproxy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The entries mugai makes itself, DSNs and the mails of the transfer
// sites, are queued where a dead node cannot keep them: on one node in
// its outbox, fsynced; on a cluster in JetStream, as a delivery job
// (doc.go, "Scale-out"). The node that takes the job puts the entry in
// its own outbox, and the same deliver code sends it; the job is
// acknowledged, as a sanitize job is, once every recipient's result is
// final and recorded (finish).

// queueEntry queues a new entry mugai made, and returns once it is
// durable: fsynced in the outbox, or acknowledged by JetStream. Queueing
// the same ID again queues it once (an entry of that ID is left as it
// is; JetStream drops a republished job within its duplicates window,
// and a later one is finished at once by the taker, which finds its
// recipients recorded).
func (r *Relay) queueEntry(ctx context.Context, e *Entry, msg io.Reader) error {
	if r.jobs == nil {
		if err := r.outbox.put(e, msg); err != nil {
			return err
		}
		r.queueDeliver(e.ID)
		return nil
	}
	content, err := entryContent(e, msg)
	if err != nil {
		return err
	}
	return r.jobs.enqueue(ctx, e.ID, jobDeliver, content)
}

// materializeEntry writes a delivery job's entry into this node's
// outbox, marked as held for the job. It is not fsynced: JetStream
// keeps the entry, and what a crash leaves here is forgotten at the
// next start (openJobs). The final results the database has (a node
// before this one delivered to a recipient and died) are set in the
// entry's first state before it is placed, so that no delivery sees
// them pending.
func (r *Relay) materializeEntry(j job) error {
	id := j.ID
	if err := r.jobs.mark(id); err != nil {
		return err
	}
	if r.outbox.exists(id) {
		return nil
	}
	ctx, cancel := context.WithTimeout(r.ctx, readTimeout)
	defer cancel()
	pr, pw := io.Pipe()
	defer pr.Close() // a staging cut short ends the copy
	go func() { pw.CloseWithError(r.jobs.spool.copyTo(ctx, pw, j)) }()
	stored := bufio.NewReader(pr)
	line, err := stored.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("delivery job %s: reading its state: %w", id, err)
	}
	var e Entry
	if err := json.Unmarshal(line, &e); err != nil || e.ID != id {
		return fmt.Errorf("delivery job %s: inconsistent state", id)
	}
	if err := r.markRecorded(ctx, &e); err != nil {
		return err
	}
	content, err := entryContent(&e, stored)
	if err != nil {
		return err
	}
	tmp, err := r.outbox.stageFile(id, content, false)
	if err != nil || tmp == "" {
		return err
	}
	return r.outbox.place(tmp, id, false)
}

// jobKept ends the delivery job of an entry held for an administrator
// (a DSN with no return path): it stays in this node's failed list, as
// on one node, made durable here before its job is acknowledged, so
// that it holds none of JobsHeld while it waits.
func (r *Relay) jobKept(ctx context.Context, id string) error {
	if r.jobs == nil {
		return nil
	}
	if err := os.Remove(filepath.Join(r.jobs.dir, id)); err != nil && !os.IsNotExist(err) {
		return err
	}
	// One barrier for the entry, written unsynced when its job was
	// taken, and for its marker's removal (barrier.go).
	if err := r.outbox.durable.Sync(); err != nil {
		return err
	}
	r.jobDone(ctx, id)
	return nil
}
