package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/freeport"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/meta/pgtest"
	"github.com/mugai-project/mugai/internal/natstest"
	"github.com/mugai-project/mugai/internal/sitetest"
	"github.com/mugai-project/mugai/smtpproxy"
)

// TestScaleOutKilledNodesWorkTakenOver: node 1 of two mugai processes
// holds a DSN (its message's recipient refused with 550) whose return
// path is down, and an upload it is sanitizing, when it is killed with
// SIGKILL. Node 2 delivers the DSN once the return path is back,
// exactly once (it was a delivery job in JetStream, not an entry in the
// dead node's outbox), and takes the upload over when node 1's lease
// ends: node 2's download site serves the result. (The sites' mails
// take the DSN's way; smtpproxy's TestJetStreamMadeMailOutlivesItsNode
// shows them.) One cluster for both, to keep the test short.
func TestScaleOutKilledNodesWorkTakenOver(t *testing.T) {
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
		n.returnPath, n.upload, n.download = returnPath, freeport.Addr(t), freeport.Addr(t)
	}
	nodes[0].writeConf(t)
	if _, stderr, code := mugai(t, []byte(sitetest.Password+"\n"), "users", "-config", nodes[0].conf, "add", "alice"); code != exitOK {
		t.Fatalf("users add: exit %d: %s", code, stderr)
	}
	pdf, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "corpus", "pdf", "clean-en-3pages.pdf"))
	if err != nil {
		t.Fatal(err)
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
	// The first PDF of a process compiles the renderer, for seconds:
	// node 1 is killed while it sanitizes.
	id := sitetest.Browse(t, "http://"+nodes[0].upload, "alice").Upload(t, "report.pdf", pdf)
	nodes[0].kill()
	if st, by := itemClaim(t, db, id); st == "done" || by != "node1" {
		t.Fatalf("at the kill the upload is %s, claimed by %q: not node 1's work in hand, the test proves nothing", st, by)
	}

	sender := startSinkOn(t, returnPath)
	nodes[1].start(t)
	sitetest.Browse(t, "http://"+nodes[1].upload, "alice").WaitDone(t, id, time.Until(deadline))
	if _, by := itemClaim(t, db, id); by != "node2" {
		t.Errorf("the upload was finished by %q, want node2", by)
	}
	if out := sitetest.Browse(t, "http://"+nodes[1].download, "alice").Get(t, "/files/"+id+"/0"); !bytes.HasPrefix(out, []byte("%PDF-")) {
		t.Errorf("node 2's download site serves %.40q, not a PDF", out)
	}
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

// itemClaim is the state of upload id in the cluster's database, and
// the node that claimed it.
func itemClaim(t *testing.T, database, id string) (state, by string) {
	t.Helper()
	ctx := context.Background()
	h, err := meta.OpenPostgres(ctx, database)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.QueryRowContext(ctx, `SELECT state, claimed_by FROM transfer_items WHERE id=?`, id).Scan(&state, &by); err != nil {
		t.Fatal(err)
	}
	return state, by
}
