package smtpproxy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mugai-project/mugai/internal/meta"
)

// The chunks of a message or entry go when its job is done (jobDone),
// or when its accept fails (enqueue). Some are left behind: those of an
// accept whose purge failed too (JetStream did not answer), of a mail
// mugai made whose job was never published and never tried again, of a
// job done whose purge failed. sweepLeftovers purges them, on one node
// at a time (Options.Lead): the chunks of an ID with no job in
// MUGAI_JOBS and no row that is not final, stored more than
// SpoolLeftoverAge ago.
//
// The job and the row are what say the chunks are needed; the age only
// covers what neither says yet: chunks stored and their job not yet
// published (PublishTimeout, seconds), and a retry of a mail mugai made
// under the same ID (its finish tries again within minutes). The
// default of seven days is far past both, and the mugai-tries bucket's
// memory.

// sweepSpool sweeps the JetStream spool's leftovers, under Options.Lead
// if set. Run every SpoolSweep.
func (r *Relay) sweepSpool() {
	sweep := func(ctx context.Context) error {
		n, err := r.jobs.sweepLeftovers(ctx, r.meta, time.Now().Add(-r.opts.SpoolLeftoverAge))
		if n > 0 {
			r.log.Info("jobs: purged the stored chunks no job needs", "messages", n)
		}
		return err
	}
	var err error
	if r.opts.Lead != nil {
		err = r.opts.Lead(r.ctx, sweep)
	} else {
		err = sweep(r.ctx)
	}
	if err != nil && r.ctx.Err() == nil {
		r.log.Error("jobs: sweeping the stored chunks", "err", err)
	}
}

// sweepLeftovers purges the chunks stored before before of every ID
// with no job in MUGAI_JOBS and no row in md that is not final, and
// returns how many IDs it purged. The spool is read before the jobs, so
// that a job published meanwhile is seen; each purge stops at the last
// old chunk it saw, so that chunks stored meanwhile under the same ID
// stay.
func (q *jobQueue) sweepLeftovers(ctx context.Context, md meta.Store, before time.Time) (int, error) {
	old, err := q.oldChunks(ctx, before)
	if err != nil || len(old) == 0 {
		return 0, err
	}
	live, err := q.jobIDs(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for id, last := range old {
		if live[id] {
			continue
		}
		m, err := md.Message(ctx, id)
		switch {
		case err == nil && m.State == meta.Queued:
			continue
		case err != nil && !errors.Is(err, meta.ErrNotFound):
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
			continue
		}
		if err := q.spool.s.Purge(ctx, jetstream.WithPurgeSubject(spoolSubject+id), jetstream.WithPurgeSequence(last+1)); err != nil {
			errs = append(errs, fmt.Errorf("purging %s: %w", id, err))
			continue
		}
		q.log.Info("jobs: stored chunks no job needs purged", "item_id", id)
		n++
	}
	return n, errors.Join(errs...)
}

// oldChunks returns the IDs with chunks stored before before, each with
// the sequence of its last such chunk. It reads from the oldest chunk
// on and stops at the first newer one: JetStream stamps them in order.
func (q *jobQueue) oldChunks(ctx context.Context, before time.Time) (map[string]uint64, error) {
	old := map[string]uint64{}
	for seq := uint64(1); ; {
		m, err := q.spool.s.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(spoolSubject+">"))
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
			return old, nil
		case err != nil:
			return nil, fmt.Errorf("reading the stored chunks: %w", err)
		case !m.Time.Before(before):
			return old, nil
		}
		old[strings.TrimPrefix(m.Subject, spoolSubject)] = m.Sequence
		seq = m.Sequence + 1
	}
}

// jobIDs returns the IDs of the jobs in MUGAI_JOBS, taken or not.
func (q *jobQueue) jobIDs(ctx context.Context) (map[string]bool, error) {
	s, err := q.js.Stream(ctx, jobStream)
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for seq := uint64(1); ; {
		m, err := s.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(jobSubject))
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
			return ids, nil
		case err != nil:
			return nil, fmt.Errorf("reading the jobs: %w", err)
		}
		if j, err := parseJob(m.Data); err == nil {
			ids[j.ID] = true
		}
		seq = m.Sequence + 1
	}
}
