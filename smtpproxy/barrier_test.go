package smtpproxy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/mugai-project/mugai/internal/fsutil/fsutiltest"
	"github.com/mugai-project/mugai/internal/meta"
)

// TestRowsDurableBeforeTheirFilesGo: mugai.db's relay rows are
// committed without an fsync of their own, so a row must pass the data
// folder's barrier before the file it could be redone from goes. The
// barrier is watched. The processing row: some barrier finds it written
// while the message's spool file is still there. The delivery's: each
// barrier that finds a row saying delivered while the message's entry
// is still in the outbox is failed (a syncfs error, which a real file
// system cannot be made to return on demand); while it fails, the entry
// stays and the message is not delivered again; once it passes, the
// entry goes.
func TestRowsDurableBeforeTheirFilesGo(t *testing.T) {
	down := startFakeMTA(t)
	o := testOptions(t)
	o.Downstream.Addr = down.addr
	r := listening(t, o)
	ctx := context.Background()
	var failing atomic.Bool
	failing.Store(true)
	var refused atomic.Int32
	var rowWithSpool atomic.Bool
	b := &fsutiltest.Barrier{Real: r.outbox.durable}
	b.At = func() error {
		ms, err := r.meta.Messages(ctx, meta.Filter{})
		if err != nil {
			t.Errorf("reading the rows at a barrier: %v", err)
		}
		for _, m := range ms {
			if _, err := os.Stat(filepath.Join(r.spool.incoming(), m.ID)); err == nil {
				rowWithSpool.Store(true)
			}
			if m.State == meta.Delivered && r.outbox.exists(m.ID) && failing.Load() {
				refused.Add(1)
				return errors.New("syncfs: input/output error")
			}
		}
		return nil
	}
	r.outbox.durable, r.spool.durable = b, b
	serveRelay(t, r)

	if err := sendMail(t, r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, simpleMessage); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "three barriers with the row delivered and the entry in place", func() bool { return refused.Load() >= 3 })
	if !rowWithSpool.Load() {
		t.Error("no barrier passed with the message's row written and its spool file still there")
	}
	if ids, err := r.outbox.list(); err != nil || len(ids) != 1 {
		t.Fatalf("outbox while the barrier fails: %v (%v); the delivered entry must stay", ids, err)
	}
	failing.Store(false)
	waitFor(t, "the outbox to empty", func() bool { ids, _ := r.outbox.list(); return len(ids) == 0 })
	if n := len(down.messages()); n != 1 {
		t.Errorf("delivered %d times, want once", n)
	}
	ms, err := r.meta.Messages(ctx, meta.Filter{})
	if err != nil || len(ms) != 1 || ms[0].State != meta.Delivered {
		t.Fatalf("rows: %+v (%v)", ms, err)
	}
	att, err := r.meta.Attempts(ctx, ms[0].ID)
	if err != nil || len(att) != 1 || att[0].Result != "delivered" {
		t.Errorf("attempts: %+v (%v), want one, delivered", att, err)
	}
}
