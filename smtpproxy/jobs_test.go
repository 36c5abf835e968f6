package smtpproxy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/natstest"
)

// startJetStream starts n NATS servers with JetStream, and a client of
// them, until the test ends.
func startJetStream(t *testing.T, n int) (*natstest.Cluster, jetstream.JetStream) {
	t.Helper()
	c := natstest.Start(t, n)
	return c, natstest.Connect(t, c.URLs())
}

// clusterOptions are testOptions for a node of a cluster whose streams
// and buckets are replicated replicas times: the backlog read at every
// MAIL, a job handed out again 3s after its node stopped answering.
func clusterOptions(t *testing.T, replicas int) Options {
	t.Helper()
	o := testOptions(t)
	o.Replicas, o.PendingCheck, o.JobAckWait = replicas, time.Nanosecond, 3*time.Second
	return o
}

// jetStreamOptions are clusterOptions on a JetStream cluster of n
// servers, with every stream and bucket replicated n times.
func jetStreamOptions(t *testing.T, n int) (Options, jetstream.JetStream) {
	t.Helper()
	_, js := startJetStream(t, n)
	o := clusterOptions(t, n)
	o.JetStream = js
	return o, js
}

// clusterStatus reads Status, failing the test on an error.
func clusterStatus(t *testing.T, js jetstream.JetStream) *ClusterStatus {
	t.Helper()
	st, err := Status(context.Background(), js)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// jobsDone waits until the work queue is empty and no stored message
// is left.
func jobsDone(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	ctx := context.Background()
	s, err := js.Stream(ctx, spoolStream)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every job acknowledged and its message deleted", func() bool {
		info, err := s.Info(ctx)
		return err == nil && clusterStatus(t, js).Jobs == 0 && info.State.Msgs == 0
	})
}

// TestJetStreamRelay: on a 3-server JetStream cluster the relay
// answers 250 for a message it stored there, a worker takes the job,
// sanitizes and delivers it to each recipient, and only then is the job
// acknowledged and the stored message deleted; nothing is kept in the
// node's own spool.
func TestJetStreamRelay(t *testing.T) {
	o, js := jetStreamOptions(t, 3)
	r := startRelay(t, o)
	rcpts := []string{"user@lg.example.jp", "two@lg.example.jp"}
	if err := sendMail(t, r.Addr().String(), "sender@example.com", rcpts, mixedMessage); err != nil {
		t.Fatal(err)
	}
	for _, rc := range rcpts {
		waitFor(t, "delivery to "+rc, func() bool { return len(maildirFiles(t, r, rc)) == 1 })
		if strings.Contains(maildirFiles(t, r, rc)[0], attachmentLine) {
			t.Fatal("the original's bytes were delivered")
		}
	}
	jobsDone(t, js)
	if st := clusterStatus(t, js); st.Replicas != 3 || len(st.Nodes) != 1 || st.Nodes[0].Node != "mugai.test" {
		t.Fatalf("status %+v", st)
	}
	if n := len(spooled(t, r)); n != 0 {
		t.Fatalf("%d messages left in the node's spool", n)
	}
	if got := testutil.ToFloat64(r.opts.Metrics.JobsAcked); got != 1 {
		t.Fatalf("%v jobs acknowledged", got)
	}
}

// TestJetStreamBacklog: while more sanitize jobs wait than MaxPending,
// MAIL gets 451 4.3.2; once workers take them, mail is accepted again.
func TestJetStreamBacklog(t *testing.T) {
	o, _ := jetStreamOptions(t, 1)
	o.MaxPending = 2
	r := startAcceptOnly(t, o) // no workers yet
	for i := range 3 {
		if err := sendMail(t, r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, simpleMessage); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	w := dialWire(t, r.Addr().String())
	w.hello()
	expectPrefix(t, "MAIL over the backlog", w.cmd("MAIL FROM:<sender@example.com>"), "451 4.3.2 ")
	r.Start()
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	waitFor(t, "the three delivered", func() bool { return len(maildirFiles(t, r, "user@lg.example.jp")) == 3 })
	expectPrefix(t, "MAIL once drained", w.cmd("MAIL FROM:<sender@example.com>"), "250 ")
}

// TestJetStreamDownAnswers451: with JetStream unreachable a message is
// refused with 451 4.3.0 (the sender keeps it and retries), no job of
// it is left, and once JetStream is back mail is accepted and
// delivered again.
func TestJetStreamDownAnswers451(t *testing.T) {
	c, js := startJetStream(t, 1)
	o := clusterOptions(t, 1)
	o.JetStream, o.PublishTimeout = js, 2*time.Second
	r := startRelay(t, o)
	c.Kill(0)
	err := sendMail(t, r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, simpleMessage)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 451 || se.EnhancedCode != (smtp.EnhancedCode{4, 3, 0}) {
		t.Fatalf("with JetStream down: %v, want 451 4.3.0", err)
	}
	c.Restart(0)
	c.WaitReady(0)
	waitFor(t, "the reconnection", js.Conn().IsConnected)
	if st := clusterStatus(t, js); st.Jobs != 0 {
		t.Fatalf("%d jobs left by the refused message", st.Jobs)
	}
	if err := sendMail(t, r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, simpleMessage); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delivery", func() bool { return len(maildirFiles(t, r, "user@lg.example.jp")) == 1 })
}

// TestJetStreamJobWithoutMessage: a job whose message was never stored
// (its accept failed after JetStream took the job) is dropped, and
// delivers nothing.
func TestJetStreamJobWithoutMessage(t *testing.T) {
	o, js := jetStreamOptions(t, 1)
	r := startRelay(t, o)
	ctx := context.Background()
	if _, err := js.Publish(ctx, jobSubject, []byte(`{"id":"orphan1","chunks":[1000]}`), jetstream.WithMsgID("orphan1")); err != nil {
		t.Fatal(err)
	}
	jobsDone(t, js)
	if _, err := r.meta.Message(ctx, "orphan1"); err != meta.ErrNotFound {
		t.Fatalf("a row for the orphan: %v", err)
	}
}

// acceptedID sends one message to an accept-only relay and returns its
// ID, read from the job it published.
func acceptedID(t *testing.T, r *Relay, js jetstream.JetStream, rcpts []string) string {
	t.Helper()
	if err := sendMail(t, r.Addr().String(), "sender@example.com", rcpts, simpleMessage); err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(context.Background(), jobStream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(context.Background(), jobSubject)
	if err != nil {
		t.Fatal(err)
	}
	j, err := parseJob(m.Data)
	if err != nil {
		t.Fatal(err)
	}
	return j.ID
}

// TestJetStreamRedeliverySkipsDelivered: a job taken again after the
// node that had it died delivers only to the recipients the database
// has no delivery recorded for.
func TestJetStreamRedeliverySkipsDelivered(t *testing.T) {
	o, js := jetStreamOptions(t, 1)
	r := startAcceptOnly(t, o)
	id := acceptedID(t, r, js, []string{"user@lg.example.jp", "two@lg.example.jp"})
	// What the node that died had recorded.
	if err := r.meta.AddAttempt(context.Background(), meta.Attempt{MessageID: id, Rcpt: "user@lg.example.jp", Result: "delivered", Reply: "250 ok"}); err != nil {
		t.Fatal(err)
	}
	r.Start()
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	waitFor(t, "delivery to the other", func() bool { return len(maildirFiles(t, r, "two@lg.example.jp")) == 1 })
	jobsDone(t, js)
	if n := len(maildirFiles(t, r, "user@lg.example.jp")); n != 0 {
		t.Fatalf("delivered again to the recipient recorded as delivered (%d)", n)
	}
}

// TestJetStreamCrasherWithheld: a job whose processing crashed its
// workers maxTries times, on any nodes (the shared count), is withheld
// without being parsed: the recipients get the notice and the original
// is held.
func TestJetStreamCrasherWithheld(t *testing.T) {
	o, js := jetStreamOptions(t, 1)
	r := startAcceptOnly(t, o)
	id := acceptedID(t, r, js, []string{"user@lg.example.jp"})
	for range maxTries {
		if _, err := r.jobs.tries.startTry(id); err != nil { // a start that never returned
			t.Fatal(err)
		}
	}
	r.Start()
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	if got := deliveredOne(t, r, "the notice"); !strings.Contains(got, id) || strings.Contains(got, "Hello, this is a test.") {
		t.Fatalf("not the notice naming %s:\n%s", id, got)
	}
	jobsDone(t, js)
	if m, err := r.meta.Message(context.Background(), id); err != nil || m.Outcome != "withheld" {
		t.Fatalf("row %+v, %v", m, err)
	}
}

// TestJetStreamLongJobKeptInProgress: a job that takes several AckWaits
// to sanitize is not handed out again meanwhile: its node tells
// JetStream it is in progress. It is delivered once.
func TestJetStreamLongJobKeptInProgress(t *testing.T) {
	o, js := jetStreamOptions(t, 1)
	o.JobAckWait = time.Second
	o.hooks.sanitizeHook = func(ctx context.Context) { sleepCtx(ctx, 3500*time.Millisecond) }
	r := startRelay(t, o)
	if err := sendMail(t, r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, simpleMessage); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delivery", func() bool { return len(maildirFiles(t, r, "user@lg.example.jp")) == 1 })
	jobsDone(t, js)
	if n := testutil.ToFloat64(r.opts.Metrics.JobsRedelivered); n != 0 {
		t.Fatalf("the job was handed out again %v times while it ran", n)
	}
}

// TestJetStreamBusyNodeLeavesJobsToOthers: a node takes no more sanitize
// jobs than it has process workers, so that while its workers are busy
// (held here in the sanitize step, as a long CPU-bound render holds
// them: the hook is the stand-in, a real render's length cannot be
// set) the queue's other messages go to a node with free workers. The
// busy node delivers its own once its workers go on.
func TestJetStreamBusyNodeLeavesJobsToOthers(t *testing.T) {
	c, js := startJetStream(t, 1)
	md := postgresMeta(t)
	options := func(name string) Options {
		o := clusterOptions(t, 1)
		o.NodeName, o.ProcessWorkers = name, 2
		return o
	}
	busy := options("busy")
	entered, release := make(chan struct{}, 10), make(chan struct{})
	busy.hooks.sanitizeHook = func(ctx context.Context) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
	}
	a := startClusterNode(t, busy, c.URLs(), md)
	const mails = 6
	for i := range mails {
		if err := sendMail(t, a.r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, simpleMessage); err != nil {
			t.Fatalf("mail %d: %v", i, err)
		}
	}
	for range busy.ProcessWorkers {
		<-entered
	}
	b := startClusterNode(t, options("free"), c.URLs(), md)
	rest := mails - busy.ProcessWorkers
	waitFor(t, "the free node delivering the messages the busy one left", func() bool {
		return len(maildirFiles(t, b.r, "user@lg.example.jp")) == rest
	})
	close(release)
	waitFor(t, "the busy node delivering its own", func() bool {
		return len(maildirFiles(t, a.r, "user@lg.example.jp")) == busy.ProcessWorkers
	})
	jobsDone(t, js)
	if got := len(maildirFiles(t, b.r, "user@lg.example.jp")); got != rest {
		t.Fatalf("the free node delivered %d, want %d", got, rest)
	}
}

// TestJetStreamHandedBackJobCountedRedelivered: a job its node handed
// back at a graceful stop is counted as redelivered by the node that
// takes it again, though JetStream hands it out with a delivery count
// of 1; the first take of a job is not.
func TestJetStreamHandedBackJobCountedRedelivered(t *testing.T) {
	c := natstest.Start(t, 1)
	for _, kind := range queueKinds {
		t.Run(kind.name, func(t *testing.T) {
			md := postgresMeta(t)
			d := startDeferred(t, c.URLs(), md, kind, "item-handed-back", func(*Options) {})
			if n := testutil.ToFloat64(d.n.r.opts.Metrics.JobsRedelivered); n != 0 {
				t.Fatalf("the first take counted %v redeliveries", n)
			}
			d.n.stop()
			again := startClusterNode(t, d.o, c.URLs(), md)
			waitFor(t, "the job held again", func() bool {
				q := again.r.jobs
				q.mu.Lock()
				defer q.mu.Unlock()
				_, ok := q.held[d.e.ID]
				return ok
			})
			m := again.r.opts.Metrics
			if taken, n := testutil.ToFloat64(m.JobsTaken), testutil.ToFloat64(m.JobsRedelivered); taken != 1 || n != 1 {
				t.Fatalf("the restarted node took %v jobs, %v counted redelivered; want 1 and 1", taken, n)
			}
		})
	}
}
