package smtpproxy

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mugai-project/mugai/internal/meta"
)

// Release queues an original from the quarantine for delivery to its
// recipients as it is, unsanitized: the administrator's audited override
// (the caller records who and why), written into the outbox folder by
// the command line. Its entry's ID is releaseID's: releasing twice
// queues it once, releasing again after a delete queues it anew. md
// holds the rows of the item's earlier releases. A running relay queues
// it with Relay.Release.
func (q *Outbox) Release(ctx context.Context, md meta.Store, id, from string, rcpts []string, original io.Reader) (string, error) {
	e, err := releaseEntry(ctx, md, id, from, rcpts)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Join(q.o.dir, "tmp"), 0o700); err != nil {
		return "", err
	}
	return e.ID, q.o.put(e, original)
}

// Release is Outbox.Release from within the relay: on a cluster through
// a delivery job, so that the release outlives this node
// (deliverjobs.go).
func (r *Relay) Release(ctx context.Context, md meta.Store, id, from string, rcpts []string, original io.Reader) (string, error) {
	e, err := releaseEntry(ctx, md, id, from, rcpts)
	if err != nil {
		return "", err
	}
	return e.ID, r.queueEntry(ctx, e, original)
}

// releaseEntry is the entry of a released original.
func releaseEntry(ctx context.Context, md meta.Store, id, from string, rcpts []string) (*Entry, error) {
	if len(rcpts) == 0 {
		return nil, errors.New("smtpproxy: the item has no recipients")
	}
	rid, err := releaseID(ctx, md, id)
	if err != nil {
		return nil, err
	}
	e := &Entry{ID: rid, Kind: KindRelease, From: from, OrigFrom: from, Created: time.Now().UTC()}
	for _, rc := range rcpts {
		e.Rcpts = append(e.Rcpts, &RcptState{Addr: rc, Status: StatusPending})
	}
	return e, nil
}

// releaseID is the ID of the entry that releases item: item-release,
// or, once an administrator deleted that entry from the queue,
// item-release-2, then -3. A release whose entry was not deleted
// (queued, or delivered) keeps its ID, so that releasing twice, a
// double click, queues the item once; a release after a delete is the
// administrator's new decision and gets an ID that neither JetStream's
// duplicates window nor the Deleted row of the last one stops
// (deleted.go).
func releaseID(ctx context.Context, md meta.Store, item string) (string, error) {
	for n := 1; ; n++ {
		id := item + "-release"
		if n > 1 {
			id += "-" + strconv.Itoa(n)
		}
		m, err := md.Message(ctx, id)
		switch {
		case errors.Is(err, meta.ErrNotFound):
			return id, nil
		case err != nil:
			return "", err
		case m.State != meta.Deleted:
			return id, nil
		}
	}
}
