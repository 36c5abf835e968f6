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
	"github.com/mugai-project/mugai/smtpproxy"
	"github.com/mugai-project/mugai/transfer"
)

// TestMain gives the package's tests the engine mugai serve builds,
// with every format, its renderer for the approvers' previews, and the
// administration console's view of a relay.
func TestMain(m *testing.M) {
	var parts *app.EngineParts
	transfer.TestEngine = sync.OnceValues(func() (*sanitizer.Engine, error) {
		eng, p, err := app.NewEngineParts(app.EngineOptions{Sanitizer: sanitizer.Options{Logger: slog.New(slog.DiscardHandler)}})
		if err == nil {
			parts, transfer.TestPreviewer = p, p.Renderer
		}
		return eng, err
	})
	transfer.TestOperations = func(dataDir string, q store.Quarantine, db *meta.DB) (transfer.Operations, error) {
		md, err := meta.NewStore(context.Background(), db)
		if err != nil {
			return nil, err
		}
		// The console's releases go to the outbox folder, as the command
		// line's do: these sites run without a relay.
		outboxDir := filepath.Join(dataDir, "outbox")
		if err := os.MkdirAll(outboxDir, 0o700); err != nil {
			return nil, err
		}
		ob, err := smtpproxy.OpenOutbox(outboxDir)
		if err != nil {
			return nil, err
		}
		// The site asked for the engine first: parts is set.
		return app.NewOperations(app.OperationsOptions{DataDir: dataDir, OutboxDir: outboxDir, Releases: ob, Quarantine: q, Meta: md, Parts: parts}), nil
	}
	os.Exit(m.Run())
}
