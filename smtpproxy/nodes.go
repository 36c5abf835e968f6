package smtpproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A node's heartbeat in the mugai-nodes bucket: written every
// nodeBeat, gone nodeTTL after the last.
const (
	nodeBeat = 10 * time.Second
	nodeTTL  = time.Minute
)

// NodeBeat is what a node tells of itself in its heartbeat.
type NodeBeat struct {
	Node    string    `json:"node"`
	Role    string    `json:"role"`
	Started time.Time `json:"started"`
	Seen    time.Time `json:"seen"`
	// Held is how many jobs the node holds now (sanitizing, delivering
	// or waiting to retry a delivery).
	Held int `json:"held"`
}

// nodeKey is name as a bucket key: letters, digits, "-", "_" and "."
// only.
func nodeKey(name string) string {
	return strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			return c
		}
		return '_'
	}, name)
}

// beatJobs writes this node's heartbeat until the relay stops.
func (r *Relay) beatJobs() {
	defer r.wg.Done()
	q := r.jobs
	for {
		q.mu.Lock()
		b := NodeBeat{Node: r.opts.NodeName, Role: r.opts.NodeRole, Started: q.started, Seen: time.Now().UTC(), Held: len(q.held)}
		q.mu.Unlock()
		v, _ := json.Marshal(b)
		ctx, cancel := context.WithTimeout(r.ctx, kvTimeout)
		if _, err := q.nodes.Put(ctx, nodeKey(b.Node), v); err != nil && r.ctx.Err() == nil {
			r.log.Warn("jobs: writing the heartbeat", "err", err)
		}
		cancel()
		if !sleepCtx(r.ctx, nodeBeat) {
			return
		}
	}
}

// ClusterStatus is the state of the relay's work on JetStream, for
// `mugai cluster status`.
type ClusterStatus struct {
	Nodes []NodeBeat // the nodes heard from in the last nodeTTL, by name
	// Jobs is the number of jobs in the work queue (waiting or held),
	// Oldest the time the oldest was published (zero when there is
	// none).
	Jobs        uint64
	Oldest      time.Time
	Pending     uint64 // not yet taken by any node
	AckPending  int    // taken, not yet acknowledged
	Redelivered int    // taken more than once, not yet acknowledged
	Waiting     int    // pulls waiting for a job
	Replicas    int
}

// Status reads the cluster's state from JetStream.
func Status(ctx context.Context, js jetstream.JetStream) (*ClusterStatus, error) {
	st := &ClusterStatus{}
	s, err := js.Stream(ctx, jobStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return st, nil // no node has started yet
	}
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", jobStream, err)
	}
	si := s.CachedInfo()
	st.Jobs, st.Replicas = si.State.Msgs, si.Config.Replicas
	if st.Jobs > 0 {
		st.Oldest = si.State.FirstTime
	}
	c, err := s.Consumer(ctx, jobConsumer)
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", jobConsumer, err)
	}
	ci := c.CachedInfo()
	st.Pending, st.AckPending, st.Redelivered, st.Waiting = ci.NumPending, ci.NumAckPending, ci.NumRedelivered, ci.NumWaiting
	kv, err := js.KeyValue(ctx, nodesBucket)
	if err != nil {
		return st, nil
	}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", nodesBucket, err)
	}
	for k := range keys.Keys() {
		e, err := kv.Get(ctx, k)
		if err != nil {
			continue
		}
		var b NodeBeat
		if json.Unmarshal(e.Value(), &b) == nil {
			st.Nodes = append(st.Nodes, b)
		}
	}
	sort.Slice(st.Nodes, func(i, j int) bool { return st.Nodes[i].Node < st.Nodes[j].Node })
	return st, nil
}
