package sandbox

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// Options configures a Sandbox. The zero value means defaults throughout.
type Options struct {
	// CacheDir holds the compiled module, so that a second process starts
	// without compiling it again. Default: os.UserCacheDir()/mugai, or
	// os.TempDir()/mugai-cache if there is none.
	CacheDir string

	// Instances is the number of files disarmed at once; more calls wait.
	// Default: runtime.NumCPU().
	Instances int

	// MemoryLimitBytes caps the linear memory of each instance: a file
	// that needs more fails with pdf.ErrLimit. Default 1 GiB, at most
	// 4 GiB (the WebAssembly 32-bit limit).
	MemoryLimitBytes int64

	// Logger receives debug records (compile time, crashes). Default:
	// slog.Default().
	Logger *slog.Logger
}

const (
	defaultMemoryLimit = 1 << 30
	maxMemoryLimit     = 4 << 30
	wasmPageSize       = 64 << 10
)

func (o Options) withDefaults() Options {
	if o.CacheDir == "" {
		if d, err := os.UserCacheDir(); err == nil {
			o.CacheDir = filepath.Join(d, "mugai")
		} else {
			o.CacheDir = filepath.Join(os.TempDir(), "mugai-cache")
		}
	}
	if o.Instances <= 0 {
		o.Instances = runtime.NumCPU()
	}
	if o.MemoryLimitBytes <= 0 {
		o.MemoryLimitBytes = defaultMemoryLimit
	}
	o.MemoryLimitBytes = min(o.MemoryLimitBytes, maxMemoryLimit)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Sandbox runs the disarm guest. It is safe for concurrent use.
type Sandbox struct {
	opts   Options
	rt     wazero.Runtime
	module wazero.CompiledModule
	cache  wazero.CompilationCache
	slots  chan struct{}

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup // running instances
}

// New compiles (or loads from the cache) the embedded disarm guest.
func New(ctx context.Context, opts Options) (*Sandbox, error) {
	wasm, err := guestModule()
	if err != nil {
		return nil, err
	}
	return newSandbox(ctx, opts, wasm)
}

// guestModule returns the embedded guest, decompressed.
func guestModule() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(guestWasmGz))
	if err != nil {
		return nil, fmt.Errorf("pdf sandbox: embedded module: %w", err)
	}
	wasm, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("pdf sandbox: embedded module: %w", err)
	}
	return wasm, nil
}

// newSandbox compiles wasm, a WASI preview 1 command that speaks package
// wire.
func newSandbox(ctx context.Context, opts Options, wasm []byte) (*Sandbox, error) {
	opts = opts.withDefaults()
	log := opts.Logger
	if err := os.MkdirAll(opts.CacheDir, 0o700); err != nil {
		return nil, fmt.Errorf("pdf sandbox: cache dir: %w", err)
	}
	cache, err := wazero.NewCompilationCacheWithDir(filepath.Join(opts.CacheDir, "wazero"))
	if err != nil {
		// A cache that cannot be written costs start-up time, not safety.
		log.Warn("pdf sandbox: compilation cache unavailable", slog.Any("err", err))
		cache = wazero.NewCompilationCache()
	}
	rc := wazero.NewRuntimeConfigCompiler().
		WithCompilationCache(cache).
		WithMemoryLimitPages(uint32(opts.MemoryLimitBytes / wasmPageSize)).
		// The caller's deadline closes a running instance.
		WithCloseOnContextDone(true)
	ctx = context.WithoutCancel(ctx) // the runtime outlives the call that starts it
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	start := time.Now()
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		rt.Close(ctx)
		cache.Close(ctx)
		return nil, fmt.Errorf("pdf sandbox: wasi: %w", err)
	}
	mod, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		rt.Close(ctx)
		cache.Close(ctx)
		return nil, fmt.Errorf("pdf sandbox: compile: %w", err)
	}
	log.Debug("pdf sandbox: ready", slog.Duration("compile", time.Since(start)),
		slog.Int("instances", opts.Instances), slog.Int64("memory_limit", opts.MemoryLimitBytes))
	return &Sandbox{
		opts:   opts,
		rt:     rt,
		module: mod,
		cache:  cache,
		slots:  make(chan struct{}, opts.Instances),
	}, nil
}

// Close waits for running instances to end, then releases the runtime.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("pdf sandbox: already closed")
	}
	s.closed = true
	s.mu.Unlock()
	s.wg.Wait()
	ctx := context.Background()
	err := s.rt.Close(ctx)
	if cerr := s.cache.Close(ctx); err == nil {
		err = cerr
	}
	return err
}

// acquire takes an instance slot; release gives it back.
func (s *Sandbox) acquire(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("pdf sandbox: closed")
	}
	s.wg.Add(1)
	s.mu.Unlock()
	select {
	case s.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		s.wg.Done()
		return ctx.Err()
	}
}

func (s *Sandbox) release() {
	<-s.slots
	s.wg.Done()
}

// moduleConfig is everything an instance is given: its arguments, stdio,
// clocks, a random source, GOMEMLIMIT, and nothing else (no filesystem).
func (s *Sandbox) moduleConfig(args []string, stdin io.Reader, stdout, stderr io.Writer) wazero.ModuleConfig {
	// Leave the Go runtime a tenth of the cap to collect garbage before
	// it runs out.
	memLimit := s.opts.MemoryLimitBytes / 10 * 9
	return wazero.NewModuleConfig().
		WithName(""). // anonymous: one instance per call
		WithArgs(args...).
		WithEnv("GOMEMLIMIT", fmt.Sprint(memLimit)).
		WithStdin(stdin).
		WithStdout(stdout).
		WithStderr(stderr).
		WithSysWalltime().
		WithSysNanotime().
		WithSysNanosleep().
		// The Go runtime seeds its map hashes from this: a fixed default
		// would let a crafted file collide them.
		WithRandSource(rand.Reader)
}
