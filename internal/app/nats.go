package app

import (
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mugai-project/mugai/internal/config"
)

// drainTimeout bounds closeJS: how long what was published may take to
// be flushed and acknowledged.
const drainTimeout = 30 * time.Second

// OpenJetStream connects to the NATS cluster of cluster.nats, the one
// connection a node's relay, sites and workers share. It reconnects for
// ever, to whichever server of the list is up: a NATS server that dies
// is a pause, not an outage. closeJS drains the connection (what was
// published is flushed, what was subscribed is handled) and returns once
// it is closed. Replicas is cluster.replicas with its default applied.
func OpenJetStream(cfg *config.Config) (js jetstream.JetStream, replicas int, closeJS func(), err error) {
	host, _ := os.Hostname()
	closed := make(chan struct{})
	nc, err := nats.Connect(cfg.Cluster.NATS,
		nats.Name("mugai "+host),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.RetryOnFailedConnect(false),
		nats.DrainTimeout(drainTimeout),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }),
	)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("cluster.nats: %w", err)
	}
	if js, err = jetstream.New(nc); err != nil {
		nc.Close()
		return nil, 0, nil, fmt.Errorf("cluster.nats: %w", err)
	}
	replicas = cfg.Cluster.Replicas
	if replicas == 0 {
		replicas = 3
	}
	closeJS = func() {
		if err := nc.Drain(); err != nil {
			nc.Close() // already closed or closing: the handler has run or will
		}
		<-closed
	}
	return js, replicas, closeJS, nil
}
