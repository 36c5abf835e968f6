package jsretry

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/nats-io/nats.go/jetstream"
)

// Latest returns the latest entry of every key of kv that matches
// pattern and is not deleted, in revision order, again while a leader is
// elected. A key written again while the entries are read comes once,
// at its latest revision.
func Latest(ctx context.Context, kv jetstream.KeyValue, pattern string) (out []jetstream.KeyValueEntry, err error) {
	err = WhileElecting(ctx, Attempt, func(ctx context.Context) (err error) {
		out, err = latest(ctx, kv, pattern)
		return err
	})
	return out, err
}

func latest(ctx context.Context, kv jetstream.KeyValue, pattern string) ([]jetstream.KeyValueEntry, error) {
	w, err := kv.Watch(ctx, pattern, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	byKey := map[string]jetstream.KeyValueEntry{}
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return nil, errors.New("the watch of " + kv.Bucket() + " ended early")
			}
			if e != nil {
				if old, ok := byKey[e.Key()]; !ok || old.Revision() < e.Revision() {
					byKey[e.Key()] = e
				}
				continue
			}
			// Every entry present at the start was sent.
			out := make([]jetstream.KeyValueEntry, 0, len(byKey))
			for _, e := range byKey {
				out = append(out, e)
			}
			slices.SortFunc(out, func(a, b jetstream.KeyValueEntry) int { return cmp.Compare(a.Revision(), b.Revision()) })
			return out, nil
		}
	}
}
