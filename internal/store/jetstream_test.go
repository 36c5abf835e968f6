package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mugai-project/mugai/internal/natstest"
)

// jetStreamBackend stores in a real 3-server JetStream cluster, one per
// test, with three replicas; each store has buckets of its own.
var jetStreamBackend = backend{
	name: "jetstream",
	start: func(t *testing.T) func(*testing.T) Quarantine {
		c := natstest.Start(t, 3)
		js := natstest.Connect(t, c.URLs())
		var n atomic.Int32
		return func(t *testing.T) Quarantine {
			return openJetStream(t, js, JetStreamOptions{Bucket: fmt.Sprintf("q%d", n.Add(1))})
		}
	},
	corrupt: func(t *testing.T, q Quarantine, id string, b []byte) {
		s := q.(*JetStream)
		rec, _, err := s.record(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.obs.PutBytes(context.Background(), rec.Object, b); err != nil {
			t.Fatal(err)
		}
	},
	originalGone: func(t *testing.T, q Quarantine, id string) bool {
		s := q.(*JetStream)
		rec, _, err := s.record(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.obs.GetInfo(context.Background(), rec.Object)
		return errors.Is(err, jetstream.ErrObjectNotFound)
	},
}

// openJetStream opens a quarantine with three replicas (unless opts say
// otherwise) and a temporary folder of the test's.
func openJetStream(t testing.TB, js jetstream.JetStream, opts JetStreamOptions) *JetStream {
	t.Helper()
	if opts.Replicas == 0 {
		opts.Replicas = 3
	}
	opts.TempDir = t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := NewJetStream(ctx, js, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestJetStreamServesAfterServerKilled: an original stored with three
// replicas is served whole, by a node connected elsewhere, after the
// server its writer was connected to dies by SIGKILL, and again after a
// second server dies while the first is back. The store waits out the
// election of new leaders for what the dead server led.
func TestJetStreamServesAfterServerKilled(t *testing.T) {
	c := natstest.Start(t, 3)
	ctx := context.Background()
	writer := openJetStream(t, natstest.Connect(t, c.URL(0)), JetStreamOptions{})
	body := strings.Repeat("原本 ", 200_000) // 1.4 MB: several chunks, spilled to a file by Get
	id := put(t, writer, "見積書.zip", body, Item{Source: "upload"})

	c.Kill(0)
	reader := openJetStream(t, natstest.Connect(t, c.URL(1)+","+c.URL(2)), JetStreamOptions{})
	if it, got := readAll(t, reader, id); got != body || it.Name != "見積書.zip" {
		t.Fatalf("after killing server 1: %d bytes of %d, item %+v", len(got), len(body), it)
	}
	c.Restart(0)
	c.WaitReady(0)
	c.Kill(1)
	all := openJetStream(t, natstest.Connect(t, c.URLs()), JetStreamOptions{})
	if _, got := readAll(t, all, id); got != body {
		t.Fatalf("after killing server 2 with server 1 back: %d bytes of %d", len(got), len(body))
	}
	if items, err := all.List(ctx, Filter{}); err != nil || len(items) != 1 || items[0].ID != id {
		t.Fatalf("List = %v, %v", items, err)
	}
}

// TestJetStreamSettlesPending: what a crash leaves between the steps of
// a Put or a purge (an object without its record, an object whose
// record is purged) is never listed and is deleted by the next
// NewJetStream once old enough; a pending mark of an object its record
// still names keeps the object.
func TestJetStreamSettlesPending(t *testing.T) {
	c := natstest.Start(t, 1)
	js := natstest.Connect(t, c.URLs())
	ctx := context.Background()
	opts := JetStreamOptions{Bucket: "crash", Replicas: 1}
	s := openJetStream(t, js, opts)
	kept := put(t, s, "kept.zip", "kept", Item{})
	purged := put(t, s, "purged.zip", "purged", Item{})
	keptRec, _, _ := s.record(ctx, kept)
	purgedRec, _, _ := s.record(ctx, purged)

	// A Put that stored its object and died before the record.
	orphan := "20260101T000000Z-0000000000000000/" + "tok"
	if err := s.mark(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	if _, err := s.obs.PutBytes(ctx, orphan, []byte("half")); err != nil {
		t.Fatal(err)
	}
	// A purge that changed the record and died before deleting.
	if err := s.mark(ctx, purgedRec.Object); err != nil {
		t.Fatal(err)
	}
	purgedRec.State = Purged
	if _, err := s.kv.Put(ctx, recordKey(purged), mustJSON(t, purgedRec)); err != nil {
		t.Fatal(err)
	}
	// A Put that died after its record, before removing its mark.
	if err := s.mark(ctx, keptRec.Object); err != nil {
		t.Fatal(err)
	}

	if items, err := s.List(ctx, Filter{}); err != nil || len(items) != 2 {
		t.Fatalf("listed %v, %v; want the two items only", items, err)
	}
	// Too young: another node may be storing it right now.
	openJetStream(t, js, opts)
	if _, err := s.obs.GetInfo(ctx, orphan); err != nil {
		t.Fatalf("a young pending object was deleted: %v", err)
	}
	opts.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	later := openJetStream(t, js, opts)
	for _, o := range []string{orphan, purgedRec.Object} {
		if _, err := s.obs.GetInfo(ctx, o); !errors.Is(err, jetstream.ErrObjectNotFound) {
			t.Errorf("%s: %v, want it deleted", o, err)
		}
	}
	if _, body := readAll(t, later, kept); body != "kept" {
		t.Errorf("kept item reads %q", body)
	}
	if marks, err := later.latest(ctx, "p.>"); err != nil || len(marks) != 0 {
		t.Errorf("pending marks left: %v, %v", marks, err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
