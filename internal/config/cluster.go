package config

import (
	"net/url"
	"strings"

	"github.com/mugai-project/mugai/sanitizer"
)

// Cluster is what several mugai nodes share. Empty, mugai runs on one
// machine with everything in its data folder.
type Cluster struct {
	// Database is the PostgreSQL database of the relay's metadata
	// (messages, delivery attempts, the relay's audit rows), as a URL:
	// postgres://user:password@host:5432/mugai?sslmode=verify-full.
	// "" keeps them in mugai.db.
	Database string `toml:"database"`
	// NATS is the NATS JetStream cluster that holds the work queue and
	// the accepted messages (streams) and, in its object store, the
	// originals and transferred files,
	// as client URLs: "nats://nats1:4222,nats://nats2:4222,nats://nats3:4222".
	// "" keeps them in the data folder. Set, Database must be set too.
	NATS string `toml:"nats"`
	// Replicas is how many JetStream servers hold each stream and object
	// (3 in a 3-server cluster); 0 means 3. A message is acknowledged
	// only once every replica's quorum has it.
	Replicas int `toml:"replicas"`
	// Role is what this node runs: "all" (the SMTP listener, the sites
	// and sanitizing workers) or "worker" (sanitizing and delivery
	// only).
	Role string `toml:"role"`
	// Node is this node's name in `mugai cluster status`; "" is the
	// host name.
	Node string `toml:"node"`
	// MaxPending is how many sanitize jobs may wait, taken by no node
	// yet, before new mail gets 451 4.3.2 (back-pressure); 0 means 5000.
	MaxPending int `toml:"max_pending"`
	// AckWait is how long a job held by a node that stopped answering
	// waits before another node takes it, and the lease on an upload a
	// node is sanitizing (transfer's claims); 0 means 30s.
	AckWait sanitizer.Duration `toml:"ack_wait"`
}

// Roles a node can have.
const (
	RoleAll    = "all"
	RoleWorker = "worker"
)

// checkCluster reports a database that is not a PostgreSQL URL, NATS
// URLs that are not, and a role or replica count mugai does not know. The
// message never repeats the URL: it may hold a password.
func (c *Config) checkCluster(bad func(format string, a ...any)) {
	d := c.Cluster.Database
	if d != "" {
		u, err := url.Parse(d)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" || strings.Trim(u.Path, "/") == "" {
			bad("cluster.database: a postgres://user@host/database URL")
		}
	}
	if c.Cluster.NATS != "" && d == "" {
		bad("cluster.nats: needs cluster.database (the nodes share their metadata in PostgreSQL)")
	}
	for _, u := range strings.FieldsFunc(c.Cluster.NATS, func(r rune) bool { return r == ',' }) {
		if p, err := url.Parse(strings.TrimSpace(u)); err != nil || (p.Scheme != "nats" && p.Scheme != "tls") || p.Host == "" {
			bad("cluster.nats: nats://host:port URLs separated by commas")
			break
		}
	}
	if r := c.Cluster.Replicas; r < 0 || r > 5 {
		bad("cluster.replicas: 1 to 5 (JetStream's limit), or 0 for 3")
	}
	if c.Cluster.MaxPending < 0 || c.Cluster.AckWait.Duration < 0 {
		bad("cluster.max_pending and cluster.ack_wait: 0 (the default) or more")
	}
	switch c.Cluster.Role {
	case RoleAll:
	case RoleWorker:
		if c.Cluster.NATS == "" {
			bad("cluster.role: \"worker\" needs cluster.nats (workers take their jobs from JetStream)")
		}
	default:
		bad("cluster.role: \"all\" or \"worker\"")
	}
}
