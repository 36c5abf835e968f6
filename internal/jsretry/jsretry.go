// Package jsretry retries JetStream requests through what makes them
// fail for a moment on a cluster: the election of a stream's new leader
// after a server died, JetStream not ready yet at a server's start, or
// the same bucket created at the same moment by another node; and reads
// a Key-Value bucket's latest entries through them (Latest). The
// quarantine's buckets (internal/store) and the password hints'
// (internal/held) are opened and used through it.
package jsretry

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Attempt bounds one attempt of WhileElecting, as most callers use it.
const Attempt = 5 * time.Second

// WhileElecting runs op, which must be safe to repeat, again while it
// fails because no JetStream server answers for the stream yet: while
// the cluster elects a new leader for what a dead server led (a few
// seconds), or another node creates the same bucket. Each attempt has
// at most attempt; ctx bounds them all.
func WhileElecting(ctx context.Context, attempt time.Duration, op func(ctx context.Context) error) error {
	for {
		actx, cancel := context.WithTimeout(ctx, attempt)
		err := op(actx)
		cancel()
		if err == nil || !Transient(err) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Transient reports an error that says no server took the request:
// a timeout, no responders, JetStream not ready, or a bucket created
// at the same moment by another node.
func Transient(err error) bool {
	var api *jetstream.APIError
	var legacy *nats.APIError // from the watchers and readers, which use the older client
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout), errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, jetstream.ErrBucketExists),
		errors.Is(err, jetstream.ErrStreamNameAlreadyInUse), errors.Is(err, nats.ErrConnectionReconnecting):
		return true
	case errors.As(err, &api):
		return api.Code == 503 // "JetStream system temporarily unavailable", "no suitable peers", …
	case errors.As(err, &legacy):
		return legacy.Code == 503
	}
	return false
}
