package app

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"

	"github.com/mugai-project/mugai/internal/config"
	"github.com/mugai-project/mugai/internal/meta"
)

// OpenDB opens DATA/mugai.db (creating the data folder if needed) the one
// way the service and every command-line tool do (meta.OpenDB).
func OpenDB(ctx context.Context, dataDir string) (*sql.DB, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	return meta.OpenDB(ctx, filepath.Join(dataDir, "mugai.db"))
}

// OpenMeta returns the relay's metadata store: its tables in db
// (mugai.db, from OpenDB) by default, or in the PostgreSQL database of
// cluster.database, whose tables it brings to this version first (one
// node at a time). closeMeta closes what OpenMeta opened (nothing on one
// machine); db stays the caller's.
func OpenMeta(ctx context.Context, cfg *config.Config, db *sql.DB) (_ meta.Store, closeMeta func(), err error) {
	if cfg.Cluster.Database == "" {
		s, err := meta.NewSQLite(ctx, db)
		return s, func() {}, err
	}
	pg, err := meta.OpenPostgres(ctx, cfg.Cluster.Database)
	if err != nil {
		return nil, nil, err
	}
	s, err := meta.NewPostgres(ctx, pg)
	if err != nil {
		pg.Close()
		return nil, nil, err
	}
	return s, func() { pg.Close() }, nil
}
