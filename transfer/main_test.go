package transfer_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/transfer"
)

// TestMain gives the package's tests the engine mugai serve builds,
// with every format, its renderer for the approvers' previews, and the
// administration console's view of a relay.
func TestMain(m *testing.M) {
	eo := app.EngineOptions{Sanitizer: sanitizer.Options{Logger: slog.New(slog.DiscardHandler)}}
	eo.Renderer = app.NewRenderer(eo)
	transfer.TestEngine = sync.OnceValues(func() (*sanitizer.Engine, error) { return app.NewEngine(eo) })
	transfer.TestPreviewer = eo.Renderer
	transfer.TestOperations = func(dataDir string, q store.Quarantine, db *meta.DB) (transfer.Operations, error) {
		md, err := meta.NewStore(context.Background(), db)
		if err != nil {
			return nil, err
		}
		return app.NewOperations(dataDir, filepath.Join(dataDir, "outbox"), q, md, nil), nil
	}
	os.Exit(m.Run())
}
