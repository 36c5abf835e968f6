package natstest_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mugai-project/mugai/internal/natstest"
)

// TestReplicatedStreamSurvivesKill: a stream with three replicas keeps
// what it acknowledged, and takes new messages, while one of the three
// servers is killed, and the killed server catches up when it restarts.
func TestReplicatedStreamSurvivesKill(t *testing.T) {
	c := natstest.Start(t, 3)
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	publish := func(n int) {
		t.Helper()
		for range n {
			if _, err := js.Publish(ctx, "t.x", []byte("x")); err != nil {
				t.Fatal(err)
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
