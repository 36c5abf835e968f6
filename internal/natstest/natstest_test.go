package natstest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mugai-project/mugai/internal/natstest"
)

// TestReplicatedStreamSurvivesKill: a stream with three replicas keeps
// what it acknowledged, and takes new messages, while one of the three
// servers is killed, and the killed server catches up when it restarts.
func TestReplicatedStreamSurvivesKill(t *testing.T) {
	c := natstest.Start(t, 3)
	js := natstest.Connect(t, c.URLs())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	published := 0
	// A publish that meets the stream electing a new leader gets no
	// acknowledgement; it is sent again with the same Nats-Msg-Id, as
	// mugai does, so that it is stored once.
	publish := func(n int) {
		t.Helper()
		for i := range n {
			id := fmt.Sprintf("%s-%d", t.Name(), published)
			published++
			for try := 0; ; try++ {
				pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				_, err := js.Publish(pctx, "t.x", []byte("x"), jetstream.WithMsgID(id))
				cancel()
				if err == nil {
					break
				}
				if try == 50 {
					t.Fatalf("message %d: %v", i, err)
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
	}
	publish(10)
	c.Kill(0)
	publish(10)
	c.Restart(0)
	c.WaitReady(0)
	info, err := js.Stream(ctx, "T")
	if err != nil {
		t.Fatal(err)
	}
	if n := info.CachedInfo().State.Msgs; n != 20 {
		t.Fatalf("the stream holds %d messages, want 20", n)
	}
	if r := len(info.CachedInfo().Cluster.Replicas); r != 2 {
		t.Fatalf("%d replicas beside the leader, want 2", r)
	}
}
