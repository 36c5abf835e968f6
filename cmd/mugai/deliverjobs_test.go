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
// holds three pieces of work when it is killed with SIGKILL: a DSN (its
// message's recipient refused with 550) whose return path is down, the
// mail its upload site sent a recipient of an upload (which the LGWAN
// MTA defers with 451), and an upload it is sanitizing. Node 2 delivers
// the DSN and the site's mail once their MTAs take them, exactly once
// each (they were delivery jobs in JetStream, not entries in the dead
// node's outbox), and takes the upload over when node 1's lease ends:
// node 2's download site serves the result. One cluster for the three,
// to keep the test short.
func TestScaleOutKilledNodesWorkTakenOver(t *testing.T) {
	if testing.Short() {
		t.Skip("a cluster of processes")
	}
	db := pgtest.Start(t).NewDatabase(t)
	nc := natstest.Start(t, 3)
	const refused, staff = "gone@lg.example.jp", "bob@lg.example.jp"
	lgwan := startSink(t)
	lgwan.set(refused, staff)
	returnPath := freeport.Addr(t) // down until node 1 is dead
	nodes := []*node{
		newNode(t, "node1", "all", db, nc.URLs(), lgwan.addr),
		newNode(t, "node2", "all", db, nc.URLs(), lgwan.addr),
	}
	for _, n := range nodes {
		n.returnPath, n.upload, n.download = returnPath, freeport.Addr(t), freeport.Addr(t)
	}
	nodes[0].writeConf(t)
	for _, args := range [][]string{{"add", "alice"}, {"add", "bob"}, {"mail", "bob", staff}} {
		args = append([]string{"users", "-config", nodes[0].conf}, args...)
		if _, stderr, code := mugai(t, []byte(sitetest.Password+"\n"), args...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	pdf, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "corpus", "pdf", "clean-en-3pages.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	nodes[0].start(t)
	if !sendMessageTo(nodes[0].smtp, refused, "From: sender@example.com\r\nTo: gone@lg.example.jp\r\nSubject: scaleout-mail-1\r\n\r\nThis is scaleout-mail-1.\r\n") {
		t.Fatal("the mail was not accepted")
	}
	up := sitetest.Browse(t, "http://"+nodes[0].upload, "alice")
	up.WaitDone(t, up.Upload(t, "memo.txt", []byte("予算の件です。\n"), "bob"), time.Minute)
	deadline := time.Now().Add(2 * time.Minute) // a bound on giving up, not a timing asserted
	// Node 1 took both jobs and tried to deliver each.
	for deferred(t, db, "%-dsn1") == 0 || deferred(t, db, "%-arrived-%") == 0 {
		if time.Now().After(deadline) {
			dumpLogs(t, nodes)
			t.Fatal("node 1 never tried to deliver the DSN and the site's mail")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The first PDF of a process compiles the renderer, for seconds:
	// node 1 is killed while it sanitizes.
	id := up.Upload(t, "report.pdf", pdf)
	nodes[0].kill()
	if st, by := itemClaim(t, db, id); st == "done" || by != "node1" {
		t.Fatalf("at the kill the upload is %s, claimed by %q: not node 1's work in hand, the test proves nothing", st, by)
	}

	sender := startSinkOn(t, returnPath)
	lgwan.set(refused, "")
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
		if err == nil && st.Jobs == 0 && sender.count(1) > 0 && lgwan.delivered(staff) > 0 {
			break
		}
		if time.Now().After(deadline) {
			dumpLogs(t, nodes)
			t.Fatalf("the DSN or the site's mail was not delivered after node 1 died (status %+v, %v)", st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := sender.count(1); n != 1 {
		t.Errorf("the DSN was delivered %d times, want once", n)
	}
	if n := lgwan.delivered(staff); n != 1 {
		t.Errorf("the site's mail was delivered %d times, want once", n)
	}
	if n := lgwan.delivered(refused); n != 0 {
		t.Errorf("the refused mail was delivered %d times", n)
	}
	if got := nodes[1].metric(t, "mugai_smtp_jobs_acked_total"); got != 2 {
		t.Errorf("node 2 acknowledged %v jobs, want the DSN's and the site mail's", got)
	}
}

// deferred counts the deferred attempts of the entries whose IDs are
// LIKE pattern, in the cluster's database.
func deferred(t *testing.T, database, pattern string) int {
	t.Helper()
	var n int
	query(t, database, `SELECT count(*) FROM attempts WHERE result='deferred' AND message_id LIKE ?`, []any{pattern}, &n)
	return n
}

// itemClaim is the state of upload id in the cluster's database, and
// the node that claimed it.
func itemClaim(t *testing.T, database, id string) (state, by string) {
	t.Helper()
	query(t, database, `SELECT state, claimed_by FROM transfer_items WHERE id=?`, []any{id}, &state, &by)
	return state, by
}

// query reads one row of the cluster's database into dest.
func query(t *testing.T, database, q string, args []any, dest ...any) {
	t.Helper()
	ctx := context.Background()
	h, err := meta.OpenPostgres(ctx, database)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.QueryRowContext(ctx, q, args...).Scan(dest...); err != nil {
		t.Fatal(err)
	}
}
