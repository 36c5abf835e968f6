package app

import (
	"context"
	"errors"

	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/smtpproxy"
)

// QueueAction retries ("retry": due now, off the failed list) or
// deletes ("delete": removed undelivered, its message marked deleted) an
// outbox entry, and records it in md's trail by by. A failure to record
// after the change is returned with the change done.
func QueueAction(ctx context.Context, outboxDir string, md meta.Store, action, id, by string) error {
	q, err := smtpproxy.OpenOutbox(outboxDir)
	if err != nil {
		return err
	}
	if action == "retry" {
		err = q.Retry(id)
	} else {
		err = q.Delete(id)
	}
	if err != nil {
		return err
	}
	if err := md.Audit(ctx, meta.Event{Actor: by, Action: "queue-" + action, Target: id}); err != nil {
		return err
	}
	if action == "delete" {
		// A notice, a DSN or a release has no message record of its own.
		if err := md.SetState(ctx, id, meta.Deleted, "deleted by "+by); err != nil && !errors.Is(err, meta.ErrNotFound) {
			return err
		}
	}
	return nil
}
