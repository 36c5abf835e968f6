package sandbox

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"

	"github.com/mugai-project/mugai/sanitizer/pdf/sandbox/internal/guestbuild"
)

var (
	sharedOnce sync.Once
	shared     *Sandbox

	probeOnce sync.Once
	probeWasm []byte
	probeErr  error
)

// testSandbox returns a sandbox of the embedded guest shared by the
// package's tests (the module compile is the slow part), with its
// compiled-module cache under the user cache dir so that repeated test
// runs start fast.
func testSandbox(t testing.TB) *Sandbox {
	t.Helper()
	sharedOnce.Do(func() {
		shared = New(Options{Instances: 2, Logger: quietLogger()})
	})
	return shared
}

// probeSandbox returns a sandbox, configured with opts, of the test guest
// testdata/probe, built once per test binary (from the Go build cache
// after the first time).
func probeSandbox(t *testing.T, opts Options) *Sandbox {
	t.Helper()
	probeOnce.Do(func() {
		ctx := context.Background()
		var root string
		if root, probeErr = guestbuild.ModuleRoot(ctx, "."); probeErr == nil {
			probeWasm, probeErr = guestbuild.Build(ctx, root, "./sanitizer/pdf/sandbox/testdata/probe")
		}
	})
	if probeErr != nil {
		t.Fatalf("building the probe guest: %v", probeErr)
	}
	return startSandbox(t, opts, probeWasm)
}

// mustGuest returns the embedded guest module.
func mustGuest(t *testing.T) []byte {
	t.Helper()
	wasm, err := guestModule()
	if err != nil {
		t.Fatal(err)
	}
	return wasm
}

// startSandbox returns a sandbox of wasm (compiled from the shared cache)
// that the test closes.
func startSandbox(t *testing.T, opts Options, wasm []byte) *Sandbox {
	t.Helper()
	opts.Logger = quietLogger()
	s := newSandbox(opts, func() ([]byte, error) { return wasm, nil })
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func TestMain(m *testing.M) {
	// The tests also run pdfcpu in process (to compare, and to read
	// outputs); keep it away from the user's config dir.
	api.DisableConfigDir()
	code := m.Run()
	if shared != nil {
		shared.Close()
	}
	os.Exit(code)
}
