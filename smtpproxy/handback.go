package smtpproxy

import (
	"context"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// A job held before by some node, taken again, is counted in
// JobsRedelivered. JetStream's delivery count says so for a job whose
// holder died (redelivered after JobAckWait), but not for one handed
// back at a graceful stop: nats-server 2.9 hands a job Nak'ed to a
// consumer no node was pulling from out again with a delivery count of
// 1. So a node stopping marks each job it hands back in the mugai-tries
// bucket (key back.<id>, IDs have no dots) before it hands it back.
// Every node watches those marks into memory (loaded whole before it
// takes a job, then kept up to date), so that taking a job costs no
// read; the node that takes a marked job removes its mark. A mark a
// lost write left behind expires with the bucket's TTL.

const handedBackPrefix = "back."

// handedBack is the marks of jobs handed back at a stop, as a watch of
// the mugai-tries bucket keeps them.
type handedBack struct {
	w jetstream.KeyWatcher

	mu  sync.Mutex
	ids map[string]bool
}

// watchHandedBack loads the marks there are and keeps them up to date
// until stop.
func watchHandedBack(ctx context.Context, kv jetstream.KeyValue) (*handedBack, error) {
	// The watch outlives ctx, which bounds only the first load.
	w, err := kv.Watch(context.Background(), handedBackPrefix+"*")
	if err != nil {
		return nil, err
	}
	h := &handedBack{w: w, ids: map[string]bool{}}
	for {
		select {
		case e := <-w.Updates():
			if e == nil { // all there were: the rest as they come
				go func() {
					for e := range w.Updates() {
						h.apply(e)
					}
				}()
				return h, nil
			}
			h.apply(e)
		case <-ctx.Done():
			w.Stop()
			return nil, ctx.Err()
		}
	}
}

func (h *handedBack) apply(e jetstream.KeyValueEntry) {
	if e == nil {
		return
	}
	id := strings.TrimPrefix(e.Key(), handedBackPrefix)
	h.mu.Lock()
	defer h.mu.Unlock()
	if e.Operation() == jetstream.KeyValuePut {
		h.ids[id] = true
	} else {
		delete(h.ids, id)
	}
}

// take reports whether id was marked, and forgets its mark here.
func (h *handedBack) take(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	marked := h.ids[id]
	delete(h.ids, id)
	return marked
}

func (h *handedBack) stop() { h.w.Stop() }

// markHandedBack marks id's job as handed back at a stop; ctx bounds
// the marks of one stop together.
func (q *jobQueue) markHandedBack(ctx context.Context, id string) {
	if _, err := q.tries.kv.Put(ctx, handedBackPrefix+id, nil); err != nil {
		q.log.Warn("jobs: marking a job handed back", "item_id", id, "err", err)
	}
}

// heldBefore reports whether msg, id's job, was held before by some
// node: delivered more than once, or handed back at a stop (its mark is
// then removed, for every node).
func (q *jobQueue) heldBefore(msg jetstream.Msg, id string) bool {
	if md, err := msg.Metadata(); err == nil && md.NumDelivered > 1 {
		return true
	}
	if !q.back.take(id) {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), kvTimeout)
	defer cancel()
	q.tries.kv.Purge(ctx, handedBackPrefix+id)
	return true
}
