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

	"github.com/samyfodil/wazy"
	"github.com/samyfodil/wazy/imports/wasi_snapshot_preview1"

	"github.com/mugai-project/mugai/internal/fsutil"
	"github.com/mugai-project/mugai/sanitizer/pdf"
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

	// Logger receives a warning for each guest crash, and debug records
	// (compile time, the guest's crash report). Default: slog.Default().
	Logger *slog.Logger
}

const (
	defaultMemoryLimit = 1 << 30
	maxMemoryLimit     = 4 << 30
	wasmPageSize       = 64 << 10
)

func (o Options) withDefaults() Options {
	if o.CacheDir == "" {
		o.CacheDir = fsutil.CacheDir()
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

// Sandbox runs the disarm guest (a pdf.Disarmer and pdf.Inspector for the
// PDF handler). It compiles the guest on first use, so that a process that
// meets no PDF never pays for it: seconds the first time, then a fraction of a second
// from the on-disk cache. It is safe for concurrent use; the composition
// root builds one and hands it to the engine, which closes it.
type Sandbox struct {
	opts  Options
	wasm  func() ([]byte, error) // the guest module
	slots chan struct{}

	mu      sync.Mutex
	machine *machine // nil until the first Disarm
	closed  bool
	wg      sync.WaitGroup // running instances
}

var (
	_ pdf.Disarmer  = (*Sandbox)(nil)
	_ pdf.Inspector = (*Sandbox)(nil)
)

// New returns a Sandbox of the embedded disarm guest, compiled when it is
// first needed.
func New(opts Options) *Sandbox {
	return newSandbox(opts, guestModule)
}

func newSandbox(opts Options, wasm func() ([]byte, error)) *Sandbox {
	opts = opts.withDefaults()
	return &Sandbox{opts: opts, wasm: wasm, slots: make(chan struct{}, opts.Instances)}
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

// machine is the compiled guest in its runtime.
type machine struct {
	rt     wazy.Runtime
	module wazy.CompiledModule
	cache  wazy.CompilationCache
}

// compile compiles wasm, a WASI preview 1 command that speaks package
// wire, or loads it from the cache.
//
// The runtime is wazy, a fork of wazero, as for the renderer
// (sanitizer/render's Pool says more), for the CPU. A guest must stop at
// its deadline even in a loop that never calls the host; wazero does that
// only with RuntimeConfig.WithCloseOnContextDone(true), whose checks at
// every loop and function entry cost the guest's Go code, which calls
// functions all the time, several times its CPU. wazy's compiled code is
// always interruptible, at the cost of one compare against Go's own
// preemption word at loop headers and function entries. (wazero's option
// also closed a module blocked in a host function; this guest's host
// calls, stdio to memory, clocks and random bytes, do not block.)
// Measured in one run (December 2026, wazero v1.12.0 against wazy v0.8.0,
// -benchtime 20x -count 3, medians, CPU ms a file): BenchmarkInventory on
// the clean 3-page Japanese document 27.7 on wazero, 7.3 on wazy;
// BenchmarkDisarm on it 53.7 and 9.2 (2.5 in process), on 100 pages with
// a script each 394 and 57 (9.3 in process); BenchmarkInstantiate 30 and
// 7 ms of wall time for a fresh instance; the whole flatten of the 3-page
// document through the engine with this inventory beside PDFium's render
// (sanitizer/pdf BenchmarkFlatten) 41.1 and 24.7, against 18.1 and 17.8
// with PDFium's inventory alone. The price, as for the renderer: wazy is
// young, so it is pinned in go.mod, and this package's tests (deadline,
// memory cap, stack overflow, crashes, under -race too) are what an
// upgrade must pass.
func compile(ctx context.Context, opts Options, wasm []byte) (*machine, error) {
	log := opts.Logger
	if err := os.MkdirAll(opts.CacheDir, 0o700); err != nil {
		return nil, fmt.Errorf("pdf sandbox: cache dir: %w", err)
	}
	cache, err := wazy.NewCompilationCacheWithDir(filepath.Join(opts.CacheDir, "wazy-guest"))
	if err != nil {
		// A cache that cannot be written costs start-up time, not safety.
		log.Warn("pdf sandbox: compilation cache unavailable", slog.Any("err", err))
		cache = wazy.NewCompilationCache()
	}
	rc := wazy.NewRuntimeConfigCompiler().
		WithCompilationCache(cache).
		// The guest declares no maximum memory (Go's linker writes a
		// minimum only); this limit becomes its maximum, so memory.grow
		// fails past it and the Go runtime stops with "out of memory".
		WithMemoryLimitPages(uint32(opts.MemoryLimitBytes / wasmPageSize))
	// No option for the deadline: wazy's compiled code reads Go's
	// preemption word at loop headers and function entries, and a done
	// ctx sets that word, so the running call returns with the ctx
	// error at its next check, even in a loop that never calls the host
	// (see run for what is closed when).
	start := time.Now()
	rt := wazy.NewRuntimeWithConfig(ctx, rc)
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
	return &machine{rt: rt, module: mod, cache: cache}, nil
}

func (m *machine) close() error {
	ctx := context.Background()
	err := m.rt.Close(ctx)
	if cerr := m.cache.Close(ctx); err == nil {
		err = cerr
	}
	return err
}

// Close waits for running instances to end, then releases the runtime;
// Disarm fails from then on.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.wg.Wait()
	if s.machine == nil {
		return nil
	}
	return s.machine.close()
}

// acquire takes an instance slot, compiling the guest on first use;
// release gives the slot back.
func (s *Sandbox) acquire(ctx context.Context) (*machine, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errors.New("pdf sandbox: closed")
	}
	s.wg.Add(1)
	m, err := s.start(ctx)
	s.mu.Unlock()
	if err != nil {
		s.wg.Done()
		return nil, err
	}
	select {
	case s.slots <- struct{}{}:
		return m, nil
	case <-ctx.Done():
		s.wg.Done()
		return nil, ctx.Err()
	}
}

// start compiles the guest if it is not yet; s.mu is held. A failure
// matches pdf.ErrSandboxUnavailable and is not kept: the next call tries
// again.
func (s *Sandbox) start(ctx context.Context) (*machine, error) {
	if s.machine != nil {
		return s.machine, nil
	}
	wasm, err := s.wasm()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", pdf.ErrSandboxUnavailable, err)
	}
	// The runtime outlives the call that starts it.
	m, err := compile(context.WithoutCancel(ctx), s.opts, wasm)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", pdf.ErrSandboxUnavailable, err)
	}
	s.machine = m
	return m, nil
}

func (s *Sandbox) release() {
	<-s.slots
	s.wg.Done()
}

// moduleConfig is everything an instance is given: its arguments, stdio,
// clocks, a random source, GOMEMLIMIT, and nothing else (no filesystem).
func (s *Sandbox) moduleConfig(args []string, stdin io.Reader, stdout, stderr io.Writer) wazy.ModuleConfig {
	// Leave the Go runtime a tenth of the cap to collect garbage before
	// it runs out.
	memLimit := s.opts.MemoryLimitBytes / 10 * 9
	return wazy.NewModuleConfig().
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
