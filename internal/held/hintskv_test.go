package held

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mugai-project/mugai/internal/jsretry"
	"github.com/mugai-project/mugai/internal/natstest"
)

// clusterNodes are three nodes' Hints on a real 3-server JetStream
// cluster, each connected to its own server, sharing one held.key;
// node i's clock is clocks[i].
func clusterNodes(t *testing.T, life time.Duration, bucket string, clocks [3]func() time.Time) ([3]*Hints, jetstream.JetStream) {
	t.Helper()
	c := natstest.Start(t, 3)
	links, err := LoadLinks(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	var nodes [3]*Hints
	var js jetstream.JetStream
	for i := range nodes {
		js = natstest.Connect(t, c.URL(i))
		if nodes[i], err = NewClusterHints(context.Background(), js, ClusterHints{Life: life, Now: clocks[i], Links: links, Replicas: 3, Bucket: bucket}); err != nil {
			t.Fatal(err)
		}
	}
	return nodes, js
}

// offered is n.For(item, rcpt) once it offers want hints, or after ten
// seconds what it offers then. A node reads the bucket through a
// watcher, whose consumer may sit on a replica a moment behind the
// write just acknowledged (seen on a loaded machine); a hint is shown
// when its recipient opens the page, so what a node must do is offer
// it soon, not in the same instant.
func offered(n *Hints, item, rcpt string, want int) []Hint {
	deadline := time.Now().Add(10 * time.Second)
	for {
		hs := n.For(item, rcpt)
		if len(hs) == want || time.Now().After(deadline) {
			return hs
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rawValues are every value stored in bucket, as NATS keeps it.
func rawValues(t *testing.T, js jetstream.JetStream, bucket string) [][]byte {
	t.Helper()
	ctx := context.Background()
	kv, err := js.KeyValue(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	es, err := jsretry.Latest(ctx, kv, ">")
	if err != nil {
		t.Fatal(err)
	}
	var vs [][]byte
	for _, e := range es {
		vs = append(vs, append([]byte(e.Key()+"="), e.Value()...))
	}
	return vs
}

// TestClusterHintsSharedBetweenNodes: a held mail processed on node A,
// its follow-up on node B, the hint offered by node C, taken once on the
// whole cluster, and past its life offered by none; NATS keeps it in
// memory only, with three replicas, and sees neither the password nor
// an address.
func TestClusterHintsSharedBetweenNodes(t *testing.T) {
	t0 := time.Now()
	var mu sync.Mutex
	later := t0
	clockC := func() time.Time { mu.Lock(); defer mu.Unlock(); return later }
	nodes, js := clusterNodes(t, 2*time.Hour, "", [3]func() time.Time{nil, nil, clockC})
	a, b, c := nodes[0], nodes[1], nodes[2]

	a.Held("ppap", "sender@example.com", []string{"alice@lg.example.jp", "bob@lg.example.jp"}, t0)
	if n := b.FollowUp("f1", "Sender@Example.com", []string{"alice@lg.example.jp"}, t0.Add(time.Second), strings.NewReader(followUp)); n != 1 {
		t.Fatalf("node B kept %d hints, want 1", n)
	}
	if n := a.FollowUp("f1", "sender@example.com", []string{"alice@lg.example.jp"}, t0.Add(time.Second), strings.NewReader(followUp)); n != 0 {
		t.Errorf("the follow-up processed again on node A kept %d more", n)
	}
	hs := offered(c, "ppap", "Alice@lg.example.jp", 1)
	if len(hs) != 1 || hs[0].Password != "Kx7-pq29" || hs[0].Subject != "パスワード" || hs[0].From != "Sender@Example.com" {
		t.Fatalf("node C offers alice %+v", hs)
	}
	if got := c.For("ppap", "bob@lg.example.jp"); len(got) != 0 {
		t.Errorf("node C offers bob, to whom the follow-up was not sent, %d hints", len(got))
	}

	for _, bucket := range []string{"mugai_hints_held", "mugai_hints_found"} {
		vs := rawValues(t, js, bucket)
		if len(vs) == 0 {
			t.Errorf("%s is empty", bucket)
		}
		for _, v := range vs {
			for _, secret := range []string{"Kx7-pq29", "alice", "sender", "ppap"} {
				if bytes.Contains(bytes.ToLower(v), []byte(strings.ToLower(secret))) {
					t.Errorf("%s holds %q in the clear: %q", bucket, secret, v)
				}
			}
		}
		st, err := js.Stream(context.Background(), "KV_"+bucket)
		if err != nil {
			t.Fatal(err)
		}
		if cfg := st.CachedInfo().Config; cfg.Storage != jetstream.MemoryStorage || cfg.Replicas != 3 || cfg.MaxMsgs != maxHints || cfg.Discard != jetstream.DiscardOld || cfg.DenyDelete || cfg.AllowDirect {
			t.Errorf("%s: storage %v, %d replicas, at most %d entries, discard %v, deny delete %v, direct %v", bucket, cfg.Storage, cfg.Replicas, cfg.MaxMsgs, cfg.Discard, cfg.DenyDelete, cfg.AllowDirect)
		}
	}
	if st, _ := js.Stream(context.Background(), "KV_mugai_hints_found"); st.CachedInfo().Config.MaxAge != 2*time.Hour {
		t.Errorf("the passwords' TTL is %v, want Life", st.CachedInfo().Config.MaxAge)
	}

	// Every node tries to take the hint at once: one has it.
	var wg sync.WaitGroup
	var taken sync.Map
	for i, n := range [6]*Hints{a, b, c, a, b, c} {
		wg.Go(func() {
			if got, ok := n.Take("ppap", "alice@lg.example.jp", hs[0].ID); ok {
				taken.Store(i, got.Password)
			}
		})
	}
	wg.Wait()
	count := 0
	taken.Range(func(_, pw any) bool {
		count++
		if pw != "Kx7-pq29" {
			t.Errorf("taken: %q", pw)
		}
		return true
	})
	if count != 1 {
		t.Errorf("the hint was taken %d times, want once", count)
	}
	if got := a.For("ppap", "alice@lg.example.jp"); len(got) != 0 {
		t.Errorf("a taken hint is offered again: %+v", got)
	}

	// A second follow-up, and then the item opened on another node.
	if n := b.FollowUp("f2", "sender@example.com", []string{"alice@lg.example.jp", "bob@lg.example.jp"}, t0.Add(time.Minute), strings.NewReader(followUp)); n != 2 {
		t.Fatalf("node B kept %d hints of the second follow-up, want alice's and bob's", n)
	}
	if got := offered(c, "ppap", "bob@lg.example.jp", 1); len(got) != 1 {
		t.Fatalf("bob is offered %d hints, want 1", len(got))
	}
	mu.Lock()
	later = t0.Add(2*time.Hour + time.Minute)
	mu.Unlock()
	if got := c.For("ppap", "bob@lg.example.jp"); len(got) != 0 {
		t.Errorf("past its life, bob is offered %+v", got)
	}
	if got := offered(a, "ppap", "alice@lg.example.jp", 1); len(got) != 1 {
		t.Fatalf("alice is offered %d hints, want 1", len(got))
	}
	b.Forget("ppap", "alice@lg.example.jp")
	if got := a.For("ppap", "alice@lg.example.jp"); len(got) != 0 {
		t.Errorf("after the item was opened on node B, node A offers %+v", got)
	}
}

// TestClusterHintsExpireInNATS: JetStream itself drops a password at the
// end of the bucket's TTL (Life), whatever the nodes' clocks say. The
// test waits for it, polling, with a TTL of a second.
func TestClusterHintsExpireInNATS(t *testing.T) {
	nodes, js := clusterNodes(t, time.Second, "short", [3]func() time.Time{})
	now := time.Now()
	nodes[0].Held("ppap", "sender@example.com", []string{"alice@lg.example.jp"}, now)
	if n := nodes[1].FollowUp("f", "sender@example.com", []string{"alice@lg.example.jp"}, now, strings.NewReader(followUp)); n != 1 {
		t.Fatalf("kept %d hints, want 1", n)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(rawValues(t, js, "short_found")) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the password is still in NATS 30 s after its life")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestClusterHintsOfAnotherKey: a node whose held.key differs offers
// nothing (and logs why) rather than failing.
func TestClusterHintsOfAnotherKey(t *testing.T) {
	nodes, js := clusterNodes(t, 0, "", [3]func() time.Time{})
	other, err := LoadLinks(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := NewClusterHints(context.Background(), js, ClusterHints{Links: other})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	nodes[0].Held("ppap", "sender@example.com", []string{"alice@lg.example.jp"}, now)
	if n := stranger.FollowUp("f", "sender@example.com", []string{"alice@lg.example.jp"}, now, strings.NewReader(followUp)); n != 0 {
		t.Errorf("a node with another key matched %d", n)
	}
	nodes[1].FollowUp("f", "sender@example.com", []string{"alice@lg.example.jp"}, now, strings.NewReader(followUp))
	if got := stranger.For("ppap", "alice@lg.example.jp"); len(got) != 0 {
		t.Errorf("a node with another key offers %+v", got)
	}
}

// TestSealedValueBoundToItsKey: a sealed value copied to another
// recipient's entry does not open.
func TestSealedValueBoundToItsKey(t *testing.T) {
	s, err := newSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.seal("f.alice.pw", sealedHint{Password: "Kx7-pq29"})
	if err != nil {
		t.Fatal(err)
	}
	var got sealedHint
	if err := s.open("f.alice.pw", v, &got); err != nil || got.Password != "Kx7-pq29" {
		t.Fatalf("open = %+v, %v", got, err)
	}
	if err := s.open("f.bob.pw", v, &got); err == nil {
		t.Error("a value sealed for alice's entry opens as bob's")
	}
}

// TestClusterHintsOpenThroughElection: a node started while the NATS
// cluster has no leader (two of three servers down, as during the
// election after a server died) opens its hint buckets once the
// servers are back, instead of failing to start. The servers come back
// only after the node's first request was sent, so that the first
// attempt fails.
func TestClusterHintsOpenThroughElection(t *testing.T) {
	c := natstest.Start(t, 3)
	links, err := LoadLinks(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	c.Kill(0)
	c.Kill(1)
	sent := make(chan struct{})
	var once sync.Once
	js := natstest.Connect(t, c.URL(2), jetstream.WithClientTrace(&jetstream.ClientTrace{
		RequestSent: func(string, []byte) { once.Do(func() { close(sent) }) },
	}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opened := make(chan error, 1)
	go func() {
		_, err := NewClusterHints(ctx, js, ClusterHints{Links: links, Replicas: 3, Bucket: "election"})
		opened <- err
	}()
	<-sent
	c.Restart(0)
	c.Restart(1)
	if err := <-opened; err != nil {
		t.Fatalf("the hint buckets were not opened after the election: %v", err)
	}
}
