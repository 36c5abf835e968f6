package app

import (
	"context"
	"os"
	"path/filepath"

	"github.com/mugai-project/mugai/internal/config"
	"github.com/mugai-project/mugai/internal/meta"
)

// OpenDB opens mugai's database the one way the service and every
// command-line tool do: the PostgreSQL database of cluster.database when
// it is set, which the nodes share and which then holds everything
// mugai.db holds on one machine (the relay's rows, the accounts and
// sessions, the audit trail, the transfer items); else DATA/mugai.db
// (meta.OpenDB), creating the data folder if needed. Each part brings
// its own tables up to date as it is built.
func OpenDB(ctx context.Context, cfg *config.Config) (*meta.DB, error) {
	if cfg.Cluster.Database != "" {
		return meta.OpenPostgres(ctx, cfg.Cluster.Database)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	return meta.OpenDB(ctx, filepath.Join(cfg.DataDir, "mugai.db"))
}
