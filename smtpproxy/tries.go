package smtpproxy

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// tryCounter counts the starts of processing that never returned, the
// count behind maxTries (spool.go). One node keeps it in the spool
// folder; nodes sharing JetStream keep it in a replicated bucket, so
// that a message that kills its workers is withheld after maxTries
// crashes on whichever nodes they were, not maxTries on each.
type tryCounter interface {
	startTry(id string) (int, error)
	endTry(id string, crashes int)
	doneTries(id string)
}

var (
	_ tryCounter = (*spool)(nil)
	_ tryCounter = (*kvTries)(nil)
)

// kvTries is the count in the mugai-tries bucket. Its entries expire
// after triesTTL: a count that a lost write left behind is forgotten.
type kvTries struct{ kv jetstream.KeyValue }

const triesTTL = 7 * 24 * time.Hour

// kvTimeout bounds one write of the count.
const kvTimeout = 10 * time.Second

func openTries(ctx context.Context, js jetstream.JetStream, replicas int) (*kvTries, error) {
	kv, err := bucket(ctx, js, jetstream.KeyValueConfig{
		Bucket: triesBucket, Replicas: replicas, TTL: triesTTL, Description: "mugai: processing starts that never returned",
	})
	if err != nil {
		return nil, err
	}
	return &kvTries{kv: kv}, nil
}

func (t *kvTries) startTry(id string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), kvTimeout)
	defer cancel()
	n := 0
	e, err := t.kv.Get(ctx, id)
	switch {
	case err == nil:
		n, _ = strconv.Atoi(string(e.Value()))
	case !errors.Is(err, jetstream.ErrKeyNotFound):
		return 0, err
	}
	_, err = t.kv.Put(ctx, id, []byte(strconv.Itoa(n+1)))
	return n, err
}

func (t *kvTries) endTry(id string, crashes int) {
	ctx, cancel := context.WithTimeout(context.Background(), kvTimeout)
	defer cancel()
	if crashes == 0 {
		t.kv.Purge(ctx, id)
		return
	}
	t.kv.Put(ctx, id, []byte(strconv.Itoa(crashes)))
}

func (t *kvTries) doneTries(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), kvTimeout)
	defer cancel()
	t.kv.Purge(ctx, id)
}
