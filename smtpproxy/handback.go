package smtpproxy

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"
)

// A job held before by some node, taken again, is counted in
// JobsRedelivered. JetStream's delivery count says so for a job whose
// holder died (redelivered after JobAckWait), but not for one handed
// back at a graceful stop: nats-server 2.9 hands a job Nak'ed to a
// consumer no node was pulling from out again with a delivery count of
// 1. So a node stopping marks each job it hands back in the mugai-tries
// bucket (key back.<id>, IDs have no dots) before it hands it back, and
// the node that takes a job with a count of 1 looks the mark up and
// removes it: one read per job taken, writes only at a stop. A mark a
// lost write left behind expires with the bucket's TTL.

const handedBackPrefix = "back."

// markHandedBack marks id's job as handed back at a stop; ctx bounds
// the marks of one stop together.
func (q *jobQueue) markHandedBack(ctx context.Context, id string) {
	if _, err := q.tries.kv.Put(ctx, handedBackPrefix+id, nil); err != nil {
		q.log.Warn("jobs: marking a job handed back", "item_id", id, "err", err)
	}
}

// heldBefore reports whether msg, id's job, was held before by some
// node: delivered more than once, or handed back at a stop (its mark is
// then removed).
func (q *jobQueue) heldBefore(msg jetstream.Msg, id string) bool {
	if md, err := msg.Metadata(); err == nil && md.NumDelivered > 1 {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), kvTimeout)
	defer cancel()
	_, err := q.tries.kv.Get(ctx, handedBackPrefix+id)
	if err != nil { // not marked, or not known: counted as new
		return false
	}
	q.tries.kv.Purge(ctx, handedBackPrefix+id)
	return true
}
