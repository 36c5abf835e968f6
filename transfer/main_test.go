package transfer_test

import (
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/transfer"
)

// TestMain gives the package's tests the engine mugai serve builds,
// with every format.
func TestMain(m *testing.M) {
	transfer.TestEngine = sync.OnceValues(func() (*sanitizer.Engine, error) {
		return app.NewEngine(app.EngineOptions{Sanitizer: sanitizer.Options{Logger: slog.New(slog.DiscardHandler)}})
	})
	os.Exit(m.Run())
}
