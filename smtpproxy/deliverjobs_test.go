package smtpproxy

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mugai-project/mugai/internal/freeport"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/natstest"
)

// clusterNode is one node of a cluster in this process: its own data
// folder and quarantine, its own connection to the NATS servers, the
// shared metadata database.
type clusterNode struct {
	r    *Relay
	nc   *nats.Conn
	once sync.Once
	done chan error
}

// startClusterNode runs a whole relay with o on the NATS servers of
// urls and the database md, until kill or the end of the test.
func startClusterNode(t *testing.T, o Options, urls string, md meta.Store) *clusterNode {
	t.Helper()
	o.JetStream = natstest.Connect(t, urls)
	r := listeningWith(t, o, md)
	n := &clusterNode{r: r, nc: o.JetStream.Conn(), done: make(chan error, 1)}
	go func() { n.done <- r.Serve() }()
	t.Cleanup(n.kill)
	return n
}

// kill ends the node as a killed process ends for the cluster: its NATS
// connection is cut first, so that it neither acknowledges nor hands
// back the jobs it holds, then its workers stop, its outbox left as it
// was.
func (n *clusterNode) kill() {
	n.once.Do(func() {
		n.nc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n.r.Shutdown(ctx)
		<-n.done
	})
}

// hasAttempt reports whether id has an attempt row with result.
func hasAttempt(md meta.Store, id, result string) bool {
	as, _ := md.Attempts(context.Background(), id)
	for _, a := range as {
		if a.Result == result {
			return true
		}
	}
	return false
}

// TestJetStreamMadeMailOutlivesItsNode: a mail mugai made on one node
// of a cluster, a site's mail (Relay.Send), an original released from
// the console (Relay.Release) or a DSN, whose MTA is down
// when that node dies, is delivered by another node once the MTA is
// back, exactly once: it was a delivery job in JetStream, not only an
// entry in the dead node's outbox. The node dies in-process here (its
// NATS connection cut before it stops); cmd/mugai's
// TestScaleOutKilledNodesWorkTakenOver kills a process with SIGKILL.
func TestJetStreamMadeMailOutlivesItsNode(t *testing.T) {
	c, js := startJetStream(t, 3)
	md := postgresMeta(t)
	options := func(name string) Options {
		o := clusterOptions(t, 3)
		o.NodeName = name
		return o
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		// make makes the mail on n, whose MTA for it is down at down,
		// and returns its entry ID once n has tried to deliver it.
		make func(t *testing.T, n1 func(Options) *clusterNode, down string) string
		// to is the one recipient the mail must reach, from its
		// envelope sender.
		to, from string
	}{
		{name: "site mail", to: "staff@lg.example.jp", make: func(t *testing.T, n1 func(Options) *clusterNode, down string) string {
			o := options("node1")
			o.Downstream.Addr = down
			n := n1(o)
			const id = "item1-arrived-1"
			if err := n.r.Send(ctx, id, []string{"staff@lg.example.jp"}, strings.NewReader("Subject: arrived\r\n\r\nA file for you.\r\n")); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "node 1's try", func() bool { return hasAttempt(md, id, "deferred") })
			return id
		}},
		{name: "released original", to: "staff@lg.example.jp", from: "a@example.net", make: func(t *testing.T, n1 func(Options) *clusterNode, down string) string {
			o := options("node1")
			o.Downstream.Addr = down
			n := n1(o)
			id, err := n.r.Release(ctx, md, "item3", "a@example.net", []string{"staff@lg.example.jp"}, strings.NewReader("Subject: original\r\n\r\nThe original.\r\n"))
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, "node 1's try", func() bool { return hasAttempt(md, id, "deferred") })
			return id
		}},
		{name: "DSN", to: "sender@example.com", make: func(t *testing.T, n1 func(Options) *clusterNode, down string) string {
			lgwan := startFakeMTA(t)
			lgwan.rcptFault = func(string) error { return err550 }
			o := options("node1")
			o.Downstream.Addr, o.ReturnPath.Addr = lgwan.addr, down
			n := n1(o)
			if err := sendMail(t, n.r.Addr().String(), "sender@example.com", []string{"gone@lg.example.jp"}, simpleMessage); err != nil {
				t.Fatal(err)
			}
			var id string
			waitFor(t, "node 1's try of the DSN", func() bool {
				ms, _ := md.Messages(ctx, meta.Filter{})
				for _, m := range ms {
					if m.Kind == KindDSN && hasAttempt(md, m.ID, "deferred") {
						id = m.ID
					}
				}
				return id != ""
			})
			return id
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			down := freeport.Addr(t)
			var first *clusterNode
			id := tc.make(t, func(o Options) *clusterNode {
				first = startClusterNode(t, o, c.URLs(), md)
				return first
			}, down)
			first.kill()
			if !first.r.outbox.exists(id) {
				t.Fatal("the dead node's outbox does not hold the mail: the test proves nothing")
			}
			l, err := net.Listen("tcp", down)
			if err != nil {
				t.Fatal(err)
			}
			mta := startFakeMTAOn(t, l)
			o := options("node2")
			o.Downstream.Addr, o.ReturnPath.Addr = down, down
			second := startClusterNode(t, o, c.URLs(), md)
			jobsDone(t, js)
			got := mta.messages()
			if len(got) != 1 || len(got[0].to) != 1 || got[0].to[0] != tc.to || got[0].from != tc.from {
				t.Fatalf("delivered %d times (%+v), want once to %s from <%s>", len(got), got, tc.to, tc.from)
			}
			if n := testutil.ToFloat64(second.r.opts.Metrics.JobsAcked); n != 1 {
				t.Fatalf("node 2 acknowledged %v jobs, want the mail's", n)
			}
			if !hasAttempt(md, id, "delivered") {
				t.Fatal("no delivery recorded")
			}
		})
	}
}

// TestJetStreamDeliveryJobSkipsRecorded: a delivery job taken again
// after the node that had it delivered to a recipient and died delivers
// only to the others, and a mail queued again under the same ID is
// delivered once.
func TestJetStreamDeliveryJobSkipsRecorded(t *testing.T) {
	o, js := jetStreamOptions(t, 1)
	mta := startFakeMTA(t)
	o.Downstream.Addr = mta.addr
	r, err := newRelay(t, o, testEngine(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const id = "item2-n-1"
	// What the node that died had recorded.
	if err := r.meta.AddAttempt(ctx, meta.Attempt{MessageID: id, Rcpt: "one@lg.example.jp", Result: "delivered", Reply: "250 ok"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := r.Send(ctx, id, []string{"one@lg.example.jp", "two@lg.example.jp"}, strings.NewReader("Subject: n\r\n\r\nnotice\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	r.Start()
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	jobsDone(t, js)
	got := mta.messages()
	if len(got) != 1 || strings.Join(got[0].to, ",") != "two@lg.example.jp" {
		t.Fatalf("delivered %+v, want once to two@ only", got)
	}
}

// TestJetStreamHeldDSNFreesItsJob: on a cluster node with no return
// path, a DSN goes to the node's failed list, as on one node, and its
// job is acknowledged: with room for one job only, the next message is
// still taken and delivered.
func TestJetStreamHeldDSNFreesItsJob(t *testing.T) {
	o, js := jetStreamOptions(t, 1)
	o.JobsHeld = 1
	mta := startFakeMTA(t)
	mta.rcptFault = func(rcpt string) error {
		if rcpt == "gone@lg.example.jp" {
			return err550
		}
		return nil
	}
	o.Downstream.Addr = mta.addr
	r := startRelay(t, o)
	if err := sendMail(t, r.Addr().String(), "sender@example.com", []string{"gone@lg.example.jp"}, simpleMessage); err != nil {
		t.Fatal(err)
	}
	var dsn *Entry
	waitFor(t, "the DSN in the failed list", func() bool {
		ids, _ := r.outbox.list()
		for _, id := range ids {
			if e, err := r.outbox.load(id); err == nil && e.Kind == KindDSN && e.Held {
				dsn = e
			}
		}
		return dsn != nil
	})
	if err := sendMail(t, r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, simpleMessage); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the next message delivered", func() bool { return len(mta.messages()) == 1 })
	jobsDone(t, js)
	if !r.outbox.exists(dsn.ID) {
		t.Fatal("the held DSN left the failed list")
	}
}
