package transfer

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/mugai-project/mugai/internal/store"
)

// refusingQuarantine is the site's quarantine failing every Put after
// the first: a fault (a full or unreachable store) the real one cannot
// be made to show on demand for one file of an upload.
type refusingQuarantine struct {
	store.Quarantine
	puts int
}

func (q *refusingQuarantine) Put(ctx context.Context, it store.Item, r io.Reader) (string, error) {
	if q.puts++; q.puts > 1 {
		return "", errors.New("quarantine unavailable")
	}
	return q.Quarantine.Put(ctx, it, r)
}

// TestUploadRefusedWhenItsOriginalCannotBeKept: an upload is answered
// 202 only once every original is in the quarantine; when one cannot be
// kept the upload fails whole: 500, no item, and the originals already
// kept are taken out again.
func TestUploadRefusedWhenItsOriginalCannotBeKept(t *testing.T) {
	ts := startSite(t, Options{PlainHTTP: true})
	real := ts.s.q
	ts.s.q = &refusingQuarantine{Quarantine: real}
	alice := ts.newClient(ts.up).login("alice")
	st, body := alice.upload("", map[string][]byte{"a.txt": []byte(plainText), "b.txt": []byte(plainText)}, true)
	if st != http.StatusInternalServerError {
		t.Fatalf("upload with an original that cannot be kept: %d %s", st, body)
	}
	ctx := context.Background()
	if items, err := ts.s.uploadsOf(ctx, "alice", 100); err != nil || len(items) != 0 {
		t.Errorf("items after the refused upload: %d (%v)", len(items), err)
	}
	if kept, err := real.List(ctx, store.Filter{}); err != nil || len(kept) != 0 {
		t.Errorf("originals left in the quarantine: %d (%v)", len(kept), err)
	}
}
