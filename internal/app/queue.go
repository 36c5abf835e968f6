package app

import (
	"context"

	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/smtpproxy"
)

// QueueAction retries ("retry": due now, off the failed list) or
// deletes ("delete": its row marked deleted, then removed undelivered;
// on a cluster the relay holding its job, in this process or another,
// then acknowledges the job and never delivers it:
// smtpproxy.Outbox.Delete) an outbox entry, and records it in md's
// trail by by. A failure to record after the change is returned with
// the change done.
func QueueAction(ctx context.Context, outboxDir string, md meta.Store, action, id, by string) error {
	q, err := smtpproxy.OpenOutbox(outboxDir)
	if err != nil {
		return err
	}
	if action == "retry" {
		err = q.Retry(id)
	} else {
		err = q.Delete(ctx, md, id, "deleted by "+by)
	}
	if err != nil {
		return err
	}
	return md.Audit(ctx, meta.Event{Actor: by, Action: "queue-" + action, Target: id})
}
