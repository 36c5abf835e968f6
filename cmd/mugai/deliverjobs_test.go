package main

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/freeport"
	"github.com/mugai-project/mugai/internal/meta/pgtest"
	"github.com/mugai-project/mugai/internal/natstest"
	"github.com/mugai-project/mugai/smtpproxy"
)

// TestScaleOutDSNOutlivesKilledNode: a DSN made on one mugai node
// (its message's recipient refused with 550) whose return path is down
// when that node is killed with SIGKILL reaches the sender once the
// return path is back, delivered by another node, exactly once: the
// DSN was a delivery job in JetStream, not an entry in the dead node's
// outbox. (The sites' mails take the same way; smtpproxy's
// TestJetStreamMadeMailOutlivesItsNode shows one.)
func TestScaleOutDSNOutlivesKilledNode(t *testing.T) {
	if testing.Short() {
		t.Skip("a cluster of processes")
	}
	db := pgtest.Start(t).NewDatabase(t)
	nc := natstest.Start(t, 3)
	lgwan := startSink(t)
	lgwan.mu.Lock()
	lgwan.refuse = "gone@lg.example.jp"
	lgwan.mu.Unlock()
	returnPath := freeport.Addr(t) // down until node 1 is dead
	nodes := []*node{
		newNode(t, "node1", "all", db, nc.URLs(), lgwan.addr),
		newNode(t, "node2", "all", db, nc.URLs(), lgwan.addr),
	}
	for _, n := range nodes {
		f, err := os.OpenFile(n.conf, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "[return_path]\nrelay = %q\n", returnPath)
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	nodes[0].start(t)
	if !sendMessageTo(nodes[0].smtp, "gone@lg.example.jp", "From: sender@example.com\r\nTo: gone@lg.example.jp\r\nSubject: scaleout-mail-1\r\n\r\nThis is scaleout-mail-1.\r\n") {
		t.Fatal("the mail was not accepted")
	}
	deadline := time.Now().Add(2 * time.Minute) // a bound on giving up, not a timing asserted
	// Node 1 took the DSN's job and tried the return path.
	for nodes[0].metric(t, "mugai_smtp_deferred_total") == 0 {
		if time.Now().After(deadline) {
			dumpLogs(t, nodes)
			t.Fatal("node 1 never tried to deliver the DSN")
		}
		time.Sleep(100 * time.Millisecond)
	}
	nodes[0].kill()
	sender := startSinkOn(t, returnPath)
	nodes[1].start(t)
	js := natstest.Connect(t, nc.URLs())
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		st, err := smtpproxy.Status(ctx, js)
		cancel()
		if err == nil && st.Jobs == 0 && sender.count(1) > 0 {
			break
		}
		if time.Now().After(deadline) {
			dumpLogs(t, nodes)
			t.Fatalf("the DSN was not delivered after node 1 died (status %+v, %v)", st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := sender.count(1); n != 1 {
		t.Errorf("the DSN was delivered %d times, want once", n)
	}
	if n := lgwan.count(1); n != 0 {
		t.Errorf("the refused mail was delivered %d times", n)
	}
	if got := nodes[1].metric(t, "mugai_smtp_jobs_acked_total"); got != 1 {
		t.Errorf("node 2 acknowledged %v jobs, want the DSN's", got)
	}
}
