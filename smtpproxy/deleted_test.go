package smtpproxy

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mugai-project/mugai/internal/meta"
)

// stop ends the node gracefully, as `mugai serve` ends on SIGTERM: the
// jobs it holds are handed back to JetStream, its outbox left as it was
// (forgotten at its next start).
func (n *clusterNode) stop() {
	n.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n.r.Shutdown(ctx)
		<-n.done
	})
}

// deferredEntry waits until the outbox folder of ob has an entry whose
// first attempt was deferred, its state saved, and returns it.
func deferredEntry(t *testing.T, ob *Outbox) *Entry {
	t.Helper()
	var e *Entry
	waitFor(t, "a deferred attempt", func() bool {
		es, _ := ob.List()
		for _, x := range es {
			if x.Attempts > 0 && x.LastError != "" {
				e = x
			}
		}
		return e != nil
	})
	return e
}

// deferredMail is a mail the downstream deferred, on a cluster node.
type deferredMail struct {
	o   Options // the node's, to start it again on its data folder
	n   *clusterNode
	ob  *Outbox // the node's outbox folder, as the command line opens it
	e   *Entry  // the mail's entry, its first attempt deferred
	mta *fakeMTA
	// deferring: the downstream answers 451 to every recipient.
	deferring atomic.Bool
}

// startDeferred starts a cluster node on urls and md (o adjusted by
// tune) whose downstream defers every recipient, and makes a mail of
// kind on it (item names a released original).
func startDeferred(t *testing.T, urls string, md meta.Store, kind queueKind, item string, tune func(*Options)) *deferredMail {
	t.Helper()
	d := &deferredMail{mta: startFakeMTA(t)}
	d.deferring.Store(true)
	d.mta.mu.Lock()
	d.mta.rcptFault = func(string) error {
		if d.deferring.Load() {
			return err451
		}
		return nil
	}
	d.mta.mu.Unlock()
	d.o = clusterOptions(t, 1)
	d.o.Downstream.Addr = d.mta.addr
	tune(&d.o)
	d.n = startClusterNode(t, d.o, urls, md)
	kind.make(t, d.n, item)
	var err error
	if d.ob, err = OpenOutbox(d.n.r.outbox.dir); err != nil {
		t.Fatal(err)
	}
	d.e = deferredEntry(t, d.ob)
	if d.e.Kind != kind.kind {
		t.Fatalf("entry %+v, want a %s", d.e, kind.kind)
	}
	return d
}

// queueKind makes a mail of kind on a cluster node; item names a
// released original (IDs are not reused within JetStream's duplicates
// window). queueKinds are a sanitize job (a message accepted from the
// Internet) and a delivery job (an original released from the console).
type queueKind struct {
	name, kind string
	make       func(t *testing.T, n *clusterNode, item string)
}

var queueKinds = []queueKind{
	{name: "sanitized message", kind: KindMessage, make: func(t *testing.T, n *clusterNode, _ string) {
		if err := sendMail(t, n.r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, simpleMessage); err != nil {
			t.Fatal(err)
		}
	}},
	{name: "released original", kind: KindRelease, make: func(t *testing.T, n *clusterNode, item string) {
		if _, err := n.r.Release(context.Background(), n.r.meta, item, "a@example.net", []string{"staff@lg.example.jp"}, strings.NewReader("Subject: original\r\n\r\nThe original.\r\n")); err != nil {
			t.Fatal(err)
		}
	}},
}

// TestJetStreamDeletedHeldJobNeverDelivered: on a cluster, a mail the
// downstream deferred (451) and an administrator then deleted from the
// outbox folder of the node holding its job (as `mugai queue delete`
// and the console do, from their own Outbox) is never delivered: not
// by that node while it runs, and not after it restarts on the same
// data folder, whether it was running at the delete (it acknowledges
// the job at once) or stopped (it acknowledges the job handed back to
// it when it takes it again). The job is acknowledged, its stored
// chunks are gone, and the row stays deleted.
func TestJetStreamDeletedHeldJobNeverDelivered(t *testing.T) {
	c, js := startJetStream(t, 1)
	ctx := context.Background()
	for _, kind := range queueKinds {
		for _, stopped := range []bool{false, true} {
			name := kind.name + "/while running"
			if stopped {
				name = kind.name + "/while stopped"
			}
			t.Run(name, func(t *testing.T) {
				md := postgresMeta(t)
				d := startDeferred(t, c.URLs(), md, kind, fmt.Sprintf("item-deleted-%v", stopped), func(*Options) {})
				n, e := d.n, d.e
				if stopped {
					n.stop()
				}
				if err := d.ob.Delete(ctx, md, e.ID, "deleted by admin"); err != nil {
					t.Fatal(err)
				}
				if !stopped {
					jobsDone(t, js) // let go by the node that holds it
					n.stop()
				}
				d.deferring.Store(false)
				again := startClusterNode(t, d.o, c.URLs(), md)
				jobsDone(t, js)
				if got := d.mta.messages(); len(got) != 0 {
					t.Fatalf("the deleted mail was delivered: %+v", got)
				}
				if m, err := md.Message(ctx, e.ID); err != nil || m.State != meta.Deleted {
					t.Fatalf("row %+v, %v: want deleted", m, err)
				}
				if ids, _ := again.r.outbox.list(); len(ids) != 0 {
					t.Fatalf("outbox after the restart: %v", ids)
				}
				want := 0.0
				if stopped {
					want = 1 // the job handed back, taken and acknowledged
				}
				if got := testutil.ToFloat64(again.r.opts.Metrics.JobsAcked); got != want {
					t.Fatalf("the restarted node acknowledged %v jobs, want %v", got, want)
				}
			})
		}
	}
}

// TestJetStreamRetryHeldJob: on a cluster, an administrator's retry of
// a mail the downstream deferred makes the node holding its job deliver
// it at once (its own next try is an hour away), once, and the job is
// acknowledged.
func TestJetStreamRetryHeldJob(t *testing.T) {
	c, js := startJetStream(t, 1)
	for _, kind := range queueKinds {
		t.Run(kind.name, func(t *testing.T) {
			md := postgresMeta(t)
			d := startDeferred(t, c.URLs(), md, kind, "item-retried", func(o *Options) { o.RetryInitial, o.RetryMax = time.Hour, time.Hour })
			d.deferring.Store(false)
			if err := d.ob.Retry(d.e.ID); err != nil {
				t.Fatal(err)
			}
			jobsDone(t, js)
			if got := d.mta.messages(); len(got) != 1 {
				t.Fatalf("delivered %d times, want once", len(got))
			}
			if !hasAttempt(md, d.e.ID, "delivered") {
				t.Fatal("no delivery recorded")
			}
		})
	}
}

// TestDeleteDuringAttemptNotRetried: on one node, an entry deleted while
// an attempt to deliver it is under way, which the downstream then
// defers, is not tried again: the state that attempt saves after the
// delete goes with the entry.
func TestDeleteDuringAttemptNotRetried(t *testing.T) {
	mta := startFakeMTA(t)
	inAttempt, deleted := make(chan struct{}), make(chan struct{})
	var first sync.Once
	mta.mu.Lock()
	mta.rcptFault = func(string) error {
		first.Do(func() { close(inAttempt); <-deleted })
		return err451
	}
	mta.mu.Unlock()
	o := testOptions(t)
	o.Downstream.Addr = mta.addr
	r := startRelay(t, o)
	if err := sendMail(t, r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, simpleMessage); err != nil {
		t.Fatal(err)
	}
	<-inAttempt
	ob, err := OpenOutbox(r.outbox.dir)
	if err != nil {
		t.Fatal(err)
	}
	ids, _ := r.outbox.list()
	if len(ids) != 1 {
		t.Fatalf("outbox %v, want the one entry", ids)
	}
	id := ids[0]
	ctx := context.Background()
	if err := ob.Delete(ctx, r.meta, id, "deleted by admin"); err != nil {
		t.Fatal(err)
	}
	close(deleted)
	waitFor(t, "the attempt's end, its state saved", func() bool {
		_, busy := r.delivBusy.Load(id)
		return hasAttempt(r.meta, id, "deferred") && !busy
	})
	waitFor(t, "the state saved after the delete gone", func() bool {
		_, err := os.Stat(r.outbox.statePath(id))
		return os.IsNotExist(err)
	})
	if as, _ := r.meta.Attempts(ctx, id); len(as) != 1 {
		t.Fatalf("attempts %+v, want the one under way at the delete", as)
	}
	if m, err := r.meta.Message(ctx, id); err != nil || m.State != meta.Deleted {
		t.Fatalf("row %+v, %v: want deleted", m, err)
	}
}
