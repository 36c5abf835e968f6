package app

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mugai-project/mugai/internal/config"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/store"
)

// Storage is where a node keeps blobs: the quarantine's originals and
// the transfer sites' sanitized outputs and unlocked held-mail contents.
// On one machine they are folders under the data folder (quarantine/,
// transfer/outputs/, transfer/held/); with
// cluster.nats set they are in the cluster's JetStream, replicated
// cluster.replicas times and shared by every node, so that any node
// serves any item and a dead node loses nothing; the quarantine is then
// indexed in the cluster's database, so that listing it costs what is
// listed and not what is kept.
type Storage struct {
	Quarantine store.Quarantine
	Outputs    store.Blobs
	Held       store.Blobs
	// JetStream is the node's one connection to the cluster, which the
	// relay's spool and work queue share, with the replicas every stream
	// and bucket has; nil on one machine.
	JetStream jetstream.JetStream
	Replicas  int
	// Close closes the JetStream connection once what was published is
	// flushed; nothing on one machine.
	Close func()
}

// OpenStorage opens the node's Storage as the configuration says, the
// one way the service and the command-line tools do. db is the node's
// database (OpenDB): on a cluster, the quarantine's index is in it.
func OpenStorage(ctx context.Context, cfg *config.Config, db *meta.DB) (*Storage, error) {
	if cfg.Cluster.NATS == "" {
		_, _, qDir, _ := RelayOptions(cfg).Dirs()
		q, err := store.NewFS(qDir)
		if err != nil {
			return nil, fmt.Errorf("quarantine: %w", err)
		}
		out, err := store.NewFolder(filepath.Join(cfg.DataDir, "transfer", "outputs"))
		if err != nil {
			return nil, fmt.Errorf("transfer outputs: %w", err)
		}
		held, err := store.NewFolder(filepath.Join(cfg.DataDir, "transfer", "held"))
		if err != nil {
			return nil, fmt.Errorf("held-mail contents: %w", err)
		}
		return &Storage{Quarantine: q, Outputs: out, Held: held, Close: func() {}}, nil
	}
	js, replicas, closeJS, err := OpenJetStream(cfg)
	if err != nil {
		return nil, err
	}
	q, err := store.NewJetStream(ctx, js, store.JetStreamOptions{Replicas: replicas, TempDir: tempDir(cfg), Index: db})
	if err != nil {
		closeJS()
		return nil, fmt.Errorf("quarantine: %w", err)
	}
	out, err := store.NewObjectBlobs(ctx, js, store.ObjectBlobsOptions{Replicas: replicas, TempDir: tempDir(cfg)})
	if err != nil {
		closeJS()
		return nil, fmt.Errorf("transfer outputs: %w", err)
	}
	held, err := store.NewObjectBlobs(ctx, js, store.ObjectBlobsOptions{Replicas: replicas, Bucket: "mugai_held", TempDir: tempDir(cfg)})
	if err != nil {
		closeJS()
		return nil, fmt.Errorf("held-mail contents: %w", err)
	}
	return &Storage{Quarantine: q, Outputs: out, Held: held, JetStream: js, Replicas: replicas, Close: closeJS}, nil
}
