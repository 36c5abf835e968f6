package transfer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/ids"
)

// TestUploadOfADeadNodeTakenOver: an upload that node a acknowledged
// and then died with leaves what commit wrote: the original in the
// shared quarantine, the row claimed by a for one lease, and its incoming
// file on a's disk only. Node b leaves it alone while a's lease lasts,
// then takes it over, sanitizes it from the quarantine's copy and serves
// the output.
func TestUploadOfADeadNodeTakenOver(t *testing.T) {
	const lease = 200 * time.Millisecond
	ts := startSite(t, Options{PlainHTTP: true, Node: "b", Lease: lease})
	ctx := context.Background()
	now := ts.clock.Now()
	content := []byte(plainText)
	sum := sha256.Sum256(content)
	it := &Item{ID: ids.New(now), Owner: "alice", Name: "memo.txt", Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:]),
		State: Received, Created: now, Expires: now.Add(24 * time.Hour)}
	if _, err := ts.s.q.Put(ctx, ts.s.originalRecord(it, "uploaded", "", nil), bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.s.db.ExecContext(ctx, `INSERT INTO transfer_items (id, owner, name, size, sha256, state, created, expires, claimed_by, claimed_until)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'a', ?)`, it.ID, it.Owner, it.Name, it.Size, it.SHA256, string(Received),
		ts.s.db.Stamp(now), ts.s.db.Stamp(it.Expires), ts.s.db.Stamp(now.Add(lease))); err != nil {
		t.Fatal(err)
	}
	// Several of b's rescans (one each half lease) while a's claim is
	// still good by the site's clock.
	time.Sleep(4 * lease)
	if got, err := ts.s.item(ctx, it.ID); err != nil || got.State != Received {
		t.Fatalf("while a's lease lasts the item is %v (%v), want received and untouched", got.State, err)
	}
	ts.clock.Add(2 * lease)
	got := ts.wait(it.ID)
	if got.State != Done || len(got.Outputs) != 1 {
		t.Fatalf("after a's lease: %s with %d outputs", got.State, len(got.Outputs))
	}
	var by string
	if err := ts.s.db.QueryRowContext(ctx, `SELECT claimed_by FROM transfer_items WHERE id=?`, it.ID).Scan(&by); err != nil || by != "b" {
		t.Errorf("claimed by %q (%v), want b", by, err)
	}
	out, err := readOutput(ts.s, it.ID, 0)
	if err != nil || !bytes.Contains(out, []byte("予算の件です")) {
		t.Fatalf("output: %q, %v", out, err)
	}
	down := ts.newClient(ts.down).login("alice")
	if resp, _ := down.get("/files/" + it.ID + "/0"); resp.StatusCode != 200 {
		t.Errorf("b's download site: %d", resp.StatusCode)
	}
}
