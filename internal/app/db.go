package app

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"

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
