// Package apptest starts mugai in a test the way `mugai serve` does: the
// configuration file is written and loaded (config.Load), checked
// (app.Check), built (app.New) and run; Shutdown runs when the test ends.
package apptest

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/config"
)

// Start writes the configuration file text cfg into a temporary folder
// and starts the service from it. Run and Shutdown must end cleanly, or
// the test fails. Log records go to stderr with -v, else nowhere.
func Start(t testing.TB, cfg string) *app.Service {
	t.Helper()
	svc, _ := StartStop(t, cfg)
	return svc
}

// StartStop is Start, and stop ends the service then and there, as its
// end does otherwise: for a test that goes on once a node is gone.
func StartStop(t testing.TB, cfg string) (_ *app.Service, stop func()) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "mugai.toml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Check(&c); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	svc, err := app.New(context.Background(), c, app.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- svc.Run(ctx) }()
	stop = sync.OnceFunc(func() {
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("Run: %v", err)
		}
		sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer scancel()
		if err := svc.Shutdown(sctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	t.Cleanup(stop)
	return svc, stop
}
