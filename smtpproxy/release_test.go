package smtpproxy

import (
	"context"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/meta"
)

// TestJetStreamReleaseAfterDeleteDelivered: on a cluster, an original
// released, deleted from the queue by an administrator while the
// downstream deferred it, then released again is delivered, exactly
// once. Releasing twice in a row (a double click) queues it once: the
// second release has the first one's entry ID. The deleted release's
// row stays deleted.
func TestJetStreamReleaseAfterDeleteDelivered(t *testing.T) {
	c, js := startJetStream(t, 1)
	ctx := context.Background()
	md := postgresMeta(t)
	const item = "item-released-again"
	release := func(n *clusterNode) string {
		t.Helper()
		id, err := n.r.Release(ctx, md, item, "a@example.net", []string{"staff@lg.example.jp"}, strings.NewReader("Subject: original\r\n\r\nThe original.\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	d := startDeferred(t, c.URLs(), md, queueKinds[1], item, func(*Options) {})
	if id := release(d.n); id != d.e.ID {
		t.Fatalf("releasing twice queued %s and %s", d.e.ID, id)
	}
	if err := d.ob.Delete(ctx, md, d.e.ID, "deleted by admin"); err != nil {
		t.Fatal(err)
	}
	jobsDone(t, js)
	d.deferring.Store(false)
	again := release(d.n)
	if again == d.e.ID {
		t.Fatalf("the release after the delete has the deleted entry's ID %s", again)
	}
	jobsDone(t, js)
	if got := d.mta.messages(); len(got) != 1 {
		t.Fatalf("delivered %d times, want once", len(got))
	}
	if !hasAttempt(md, again, "delivered") {
		t.Fatal("no delivery recorded")
	}
	if m, err := md.Message(ctx, d.e.ID); err != nil || m.State != meta.Deleted {
		t.Fatalf("row of the deleted release %+v, %v: want deleted", m, err)
	}
}
