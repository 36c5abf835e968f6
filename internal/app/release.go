package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/smtpproxy"
)

// ErrNotMail is Release's refusal of an item that did not come by mail:
// it has no recipients to deliver to.
var ErrNotMail = errors.New("the item did not come by mail")

// Releaser queues a released original for delivery: the running relay
// (on a cluster through JetStream), or the outbox folder from the
// command line. md holds the rows of the item's earlier releases: a
// release after one was deleted from the queue is queued anew.
type Releaser interface {
	Release(ctx context.Context, md meta.Store, id, from string, rcpts []string, original io.Reader) (string, error)
}

var (
	_ Releaser = (*smtpproxy.Relay)(nil)
	_ Releaser = (*smtpproxy.Outbox)(nil)
)

// Release queues a held mail's original with rel for delivery to its
// recipients as it is, unsanitized, and marks it released by by. The
// audit record in md comes first: a release that is not recorded does
// not happen. It returns the queue entry's ID and the number of
// recipients. Whether releases are allowed (quarantine.allow_release) is
// the caller's check.
func Release(ctx context.Context, rel Releaser, q store.Quarantine, md meta.Store, id, by string) (string, int, error) {
	it, rc, err := q.Get(ctx, id)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", id, err)
	}
	defer rc.Close()
	if it.Source != "smtp" {
		return "", 0, fmt.Errorf("%s: %w", id, ErrNotMail)
	}
	var rcpts []string
	if err := json.Unmarshal([]byte(it.Meta["to"]), &rcpts); err != nil || len(rcpts) == 0 {
		return "", 0, fmt.Errorf("%s: no recipients recorded", id)
	}
	if err := md.Audit(ctx, meta.Event{Actor: by, Action: "quarantine-release", Target: id, Detail: fmt.Sprintf("to %v, sha256 %s", rcpts, it.SHA256)}); err != nil {
		return "", 0, fmt.Errorf("audit: %w", err)
	}
	qid, err := rel.Release(ctx, md, id, it.Meta["from"], rcpts, rc)
	if err != nil {
		return "", 0, err
	}
	if err := q.SetState(ctx, id, store.Released, by); err != nil {
		return "", 0, err
	}
	return qid, len(rcpts), nil
}
