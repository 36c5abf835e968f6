package smtpproxy

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mugai-project/mugai/internal/meta"
)

// TestJetStreamSweepPurgesLeftoverChunks: the sweep purges the chunks
// stored before its cut of every ID with no job and no row, or a final
// row (an accept whose purge failed, a job done whose purge failed),
// and keeps those of a job still queued (a release the downstream
// defers), of an ID whose row is not final, and those stored after the
// cut.
func TestJetStreamSweepPurgesLeftoverChunks(t *testing.T) {
	c, js := startJetStream(t, 1)
	ctx := context.Background()
	md := postgresMeta(t)
	d := startDeferred(t, c.URLs(), md, queueKinds[1], "item-swept", func(*Options) {})
	store := func(id string) {
		t.Helper()
		for range 2 {
			if _, err := js.Publish(ctx, spoolSubject+id, []byte("chunk")); err != nil {
				t.Fatal(err)
			}
		}
	}
	row := func(id, state string) {
		t.Helper()
		if err := md.PutMessage(ctx, meta.Message{ID: id, Received: time.Now(), State: state}); err != nil {
			t.Fatal(err)
		}
	}
	store("leftover-accept")
	store("leftover-done")
	row("leftover-done", meta.Delivered)
	store("leftover-queued")
	row("leftover-queued", meta.Queued)
	cut := time.Now()
	store("leftover-young")
	n, err := d.n.r.jobs.sweepLeftovers(ctx, md, cut)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, spoolStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(spoolSubject+">"))
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]uint64{"leftover-accept": 0, "leftover-done": 0, "leftover-queued": 2, "leftover-young": 2} {
		if got := info.State.Subjects[spoolSubject+id]; got != want {
			t.Errorf("%s: %d chunks after the sweep, want %d", id, got, want)
		}
	}
	if info.State.Subjects[spoolSubject+d.e.ID] == 0 {
		t.Errorf("the chunks of %s, whose job is queued, were purged", d.e.ID)
	}
	if n != 2 {
		t.Errorf("the sweep reports %d IDs purged, want 2", n)
	}
	// A node that takes the job anew reads the kept chunks.
	d.n.stop()
	d.deferring.Store(false)
	startClusterNode(t, d.o, c.URLs(), md)
	waitFor(t, "the release delivered from its kept chunks", func() bool { return hasAttempt(md, d.e.ID, "delivered") })
}

// TestJetStreamSpoolSweepRunsUnderLead: a cluster node sweeps the
// leftover chunks every SpoolSweep on its own, each sweep under its
// Lead, here the database's (meta.DB.Lead).
func TestJetStreamSpoolSweepRunsUnderLead(t *testing.T) {
	c, js := startJetStream(t, 1)
	ctx := context.Background()
	h, md := postgresDB(t)
	var led atomic.Int32
	o := clusterOptions(t, 1)
	o.SpoolSweep, o.SpoolLeftoverAge = 10*time.Millisecond, time.Nanosecond
	o.Lead = func(ctx context.Context, sweep func(context.Context) error) error {
		led.Add(1)
		_, err := h.Lead(ctx, "spool-sweep", sweep)
		return err
	}
	startClusterNode(t, o, c.URLs(), md)
	if _, err := js.Publish(ctx, spoolSubject+"leftover", []byte("chunk")); err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, spoolStream)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the leftover chunk purged", func() bool {
		info, err := s.Info(ctx, jetstream.WithSubjectFilter(spoolSubject+">"))
		return err == nil && info.State.Msgs == 0
	})
	if led.Load() == 0 {
		t.Fatal("the chunk was purged by a sweep not under the Lead")
	}
}
