package render

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/experimental/wazy"
	wazyrt "github.com/samyfodil/wazy"
	"github.com/samyfodil/wazy/api"

	"github.com/mugai-project/mugai/internal/fsutil"
)

// Options configures a Pool. The zero value means defaults throughout.
type Options struct {
	// CacheDir holds the compiled WebAssembly module (so that a second
	// process starts rendering without the multi-second compile) and the
	// per-process font folder mounted into the module. Default:
	// os.UserCacheDir()/mugai, or os.TempDir()/mugai-cache if there is none.
	CacheDir string

	// FontDirs are host folders searched (recursively) for fallback fonts,
	// which PDFium uses for text in fonts that the PDF does not embed.
	// Default: DefaultFontDirs(). An empty, non-nil slice means none.
	FontDirs []string

	// Instances is the number of PDFium instances that render at once.
	// Default: runtime.NumCPU().
	Instances int

	// MemoryLimitBytes caps the linear memory of each instance, in whole
	// WebAssembly pages of 64 KiB. A document that needs more fails to
	// render (and is withheld). Default 512 MiB, at most 4 GiB (the
	// WebAssembly 32-bit limit).
	MemoryLimitBytes int64

	// GrayBits is the depth of pages without colour in Flatten's output:
	// 1, 2 or 4. Default 2: four levels keep anti-aliased text readable
	// at half the size of 4 bits (see encode.go for measurements).
	GrayBits int

	// BilevelScale is how pages of black text and line art on white are
	// stored in Flatten's output: 1 or 2 is black and white (CCITT G4) at
	// that multiple of the rendering dpi (2: the 150 dpi rendering enlarged
	// by interpolation to 300 dpi, smoother glyph edges when zoomed, about
	// 1.7 times the bytes), -1 is gray of GrayBits like other pages without
	// colour. Default 1 (see encode.go for measurements).
	BilevelScale int

	// Logger receives warnings (missing CJK fonts) and debug records.
	// Default: slog.Default().
	Logger *slog.Logger
}

// DefaultFontDirs returns the Debian locations of CJK fonts:
// fonts-ipafont-gothic, fonts-ipafont-mincho, fonts-ipaexfont-*,
// fonts-noto-cjk, fonts-takao-*, fonts-vlgothic and fonts-droid-fallback.
func DefaultFontDirs() []string {
	return []string{
		"/usr/share/fonts/opentype/ipafont-gothic",
		"/usr/share/fonts/opentype/ipafont-mincho",
		"/usr/share/fonts/opentype/ipaexfont-gothic",
		"/usr/share/fonts/opentype/ipaexfont-mincho",
		"/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
		"/usr/share/fonts/opentype/noto",
		"/usr/share/fonts/truetype/takao-gothic",
		"/usr/share/fonts/truetype/takao-mincho",
		"/usr/share/fonts/truetype/vlgothic",
		"/usr/share/fonts/truetype/droid",
	}
}

const (
	defaultMemoryLimit = 512 << 20
	wasmPageSize       = 64 << 10
	maxMemoryLimit     = 4 << 30
)

func (o Options) withDefaults() Options {
	if o.CacheDir == "" {
		o.CacheDir = fsutil.CacheDir()
	}
	if o.FontDirs == nil {
		o.FontDirs = DefaultFontDirs()
	}
	if o.Instances <= 0 {
		o.Instances = runtime.NumCPU()
	}
	if o.MemoryLimitBytes <= 0 {
		o.MemoryLimitBytes = defaultMemoryLimit
	}
	if o.MemoryLimitBytes > maxMemoryLimit {
		o.MemoryLimitBytes = maxMemoryLimit
	}
	switch o.BilevelScale {
	case -1, 1, 2:
	default:
		o.BilevelScale = 1
	}
	switch o.GrayBits {
	case 1, 2, 4:
	default:
		o.GrayBits = 2
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Pool is a set of sandboxed PDFium instances. It is safe for concurrent
// use; each Flatten or PageImages call borrows one instance, and more when
// they are free, to render the pages of one document in parallel.
//
// The module runs on wazy, a fork of wazero, through go-pdfium's
// experimental/wazy backend. This is a choice over go-pdfium's webassembly
// backend on wazero, for the CPU: a document must be stoppable at its
// deadline in the middle of a call, and wazero can do that only with
// RuntimeConfig.WithCloseOnContextDone(true), whose checks leave the
// compiled code for Go at every loop and call. With them PDFium's work cost
// 3 to 4 times as much and every call into the module about ten times
// (December 2026, wazero v1.12.0, go-pdfium v1.21.4: a Latin text page
// rendered in 37 ms of CPU with the checks and 9 without; 60 ms a page of
// CPU over the ten-page Latin benchmark against mutool draw's 49, and
// 122-135 ms with the Japanese text layer against mutool's 57-62). wazy's
// compiled code is always interruptible by a done context at the cost of
// one compare against Go's own preemption word at loop headers. On wazy
// v0.8.0 (go-pdfium v1.21.5), in CPU ms a page, wazy / wazero before /
// mutool draw -r 150 on the same machine and run (bench/flatten.sh, ten
// runs): ten Latin text pages 27.7 / 59.6 / 50.7, ten Japanese 27.4 / 82.6
// / 58.3, the same rewritten with embedded fonts 25.1 / 56.9 / 50.9 and
// 23.4 / 60.0 / 61.0, one photo 47.8 / 97.5 / 73.4; the Japanese pages
// with their text layer 31.9 / 127 / 59-68 (BenchmarkFlattenTextLayer);
// the flattened PDFs are byte for byte the same. The price of the choice: wazy and
// go-pdfium's backend for it are young (go-pdfium calls it experimental),
// so both are pinned, and the tests of this package, under -race too, are
// what an upgrade must pass.
//
// Stopping a call without a race: go-pdfium's Kill cancels the worker's
// context and at once closes its module, while the interrupted call may
// still be running in it; wazy reuses a closed module's memory for the next
// one, so that is memory-unsafe (go test -race reports it). Kill is
// therefore never called while a call can run. Each slot is a pool of one
// worker with a context of its own: the deadline only cancels that context
// (wazy then sets the preemption word its compiled code checks, and the
// running call returns an error; nothing is closed), and release,
// which runs on the goroutine that made the call, after it returned,
// discards the slot and leaves its place to a fresh one. The compiled module
// is shared through the compilation cache, so a fresh slot costs a runtime
// and an instantiation, not a compile: 8 ms and 9 ms of CPU
// (BenchmarkFreshInstance, December 2026).
type Pool struct {
	opts     Options
	ctx      context.Context // parent of every slot's context
	cache    wazyrt.CompilationCache
	rc       wazyrt.RuntimeConfig
	fs       wazyrt.FSConfig
	fontRoot string
	fonts    []string
	cjk      bool

	// slots holds Options.Instances slots when none is borrowed; a nil
	// entry is the place of a discarded slot, started afresh when it is
	// next borrowed.
	slots chan *slot

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup // borrowed instances
}

// slot is a pool of one PDFium worker whose calls all run under ctx.
type slot struct {
	wasm   pdfium.Pool
	cancel context.CancelFunc // interrupts the running call, if any
}

// New compiles (or loads from the cache) the PDFium module and prepares the
// font folder. It does not start rendering anything.
func New(ctx context.Context, opts Options) (*Pool, error) {
	opts = opts.withDefaults()
	log := opts.Logger

	if err := os.MkdirAll(opts.CacheDir, 0o700); err != nil {
		return nil, fmt.Errorf("render: cache dir: %w", err)
	}
	fontRoot, fonts, err := buildFontRoot(opts.CacheDir, opts.FontDirs)
	if err != nil {
		return nil, fmt.Errorf("render: font folder: %w", err)
	}
	p := &Pool{
		opts:     opts,
		ctx:      context.WithoutCancel(ctx),
		fontRoot: fontRoot,
		fonts:    fonts,
		cjk:      hasCJK(fonts),
		slots:    make(chan *slot, opts.Instances),
		// Mount nothing but the read-only font folder, at the guest root:
		// PDFium looks for fallback fonts under /usr/share/fonts.
		// QUIRK: mounting a host font folder at the guest path
		// /usr/share/fonts was not seen by PDFium; a folder at "/" that holds
		// usr/share/fonts/<font> is.
		fs: wazyrt.NewFSConfig().WithReadOnlyDirMount(fontRoot, "/"),
	}
	if !p.cjk {
		log.Warn("render: no CJK fallback font found; Japanese text in non-embedded fonts will render blank",
			slog.Any("font_dirs", opts.FontDirs))
	}

	cache, err := wazyrt.NewCompilationCacheWithDir(filepath.Join(opts.CacheDir, "wazy"))
	if err != nil {
		// A cache that cannot be written costs start-up time, not safety.
		log.Warn("render: compilation cache unavailable", slog.Any("err", err))
		cache = wazyrt.NewCompilationCache()
	}
	p.cache = cache
	p.rc = wazyrt.NewRuntimeConfig().
		// The bundled module lowers setjmp/longjmp to exception handling
		// instructions (see wazy.Init).
		WithCoreFeatures(api.CoreFeaturesV2 | api.CoreFeatureExceptionHandling).
		WithCompilationCache(cache).
		// The module declares a maximum of 32768 pages (2 GiB); wazy
		// lowers a declared maximum above this limit to the limit, so
		// memory.grow fails past it, the guest's malloc returns NULL and
		// PDFium fails the render.
		WithMemoryLimitPages(uint32(opts.MemoryLimitBytes / wasmPageSize))

	// Start one slot now: the module is compiled (or loaded from the
	// cache) here rather than on the first document, and a module that
	// does not start fails New.
	start := time.Now()
	s, err := p.newSlot()
	if err != nil {
		cache.Close(context.Background())
		os.RemoveAll(fontRoot)
		return nil, fmt.Errorf("render: start pdfium: %w", err)
	}
	p.slots <- s
	for range opts.Instances - 1 {
		p.slots <- nil
	}
	log.Debug("render: pool ready", slog.Duration("compile", time.Since(start)),
		slog.Int("instances", opts.Instances), slog.Int("fonts", len(fonts)), slog.Bool("cjk", p.cjk))
	return p, nil
}

// newSlot starts a pool of one worker with a context of its own. The
// worker itself is instantiated when it is first borrowed.
func (p *Pool) newSlot() (*slot, error) {
	ctx, cancel := context.WithCancel(p.ctx)
	wp, err := wazy.Init(wazy.Config{
		Context:       ctx,
		MinIdle:       0,
		MaxIdle:       1,
		MaxTotal:      1,
		FSConfig:      p.fs,
		RuntimeConfig: p.rc,
		Stdout:        io.Discard,
		Stderr:        io.Discard,
		ReuseWorkers:  true,
	})
	if err != nil {
		cancel()
		return nil, err
	}
	return &slot{wasm: wp, cancel: cancel}, nil
}

// close stops the slot's worker and runtime. No call may be running in it.
func (s *slot) close() error {
	s.cancel()
	return s.wasm.Close()
}

// HasCJKFonts reports whether a CJK fallback font was found. Without one,
// Japanese text set in a font that the PDF does not embed renders blank: the
// engine should say so in its report (or withhold such documents).
func (p *Pool) HasCJKFonts() bool { return p.cjk }

// Fonts returns the names of the fallback font files visible to PDFium.
func (p *Pool) Fonts() []string { return append([]string(nil), p.fonts...) }

// Close waits for borrowed instances to come back, then stops every
// instance and removes the font folder.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return errors.New("render: pool already closed")
	}
	p.closed = true
	p.mu.Unlock()
	p.wg.Wait()
	var err error
	for range p.opts.Instances {
		if s := <-p.slots; s != nil {
			if cerr := s.close(); err == nil {
				err = cerr
			}
		}
	}
	if cerr := p.cache.Close(context.Background()); err == nil {
		err = cerr
	}
	if rerr := os.RemoveAll(p.fontRoot); err == nil {
		err = rerr
	}
	return err
}

// instance is one borrowed PDFium instance bound to a document's ctx.
type instance struct {
	pdfium.Pdfium
	p    *Pool
	s    *slot
	stop func() bool // stops the interrupt-on-ctx-done hook
	bad  bool        // discard instead of returning to the pool
}

// acquire borrows an instance. With wait false it returns (nil, nil) when
// every instance is busy.
func (p *Pool) acquire(ctx context.Context, wait bool) (*instance, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("render: pool closed")
	}
	p.wg.Add(1)
	p.mu.Unlock()

	var s *slot
	if wait {
		select {
		case s = <-p.slots:
		case <-ctx.Done():
			p.wg.Done()
			return nil, context.Cause(ctx)
		}
	} else {
		select {
		case s = <-p.slots:
		default:
			p.wg.Done()
			return nil, nil
		}
	}
	giveBack := func(s *slot) {
		p.slots <- s
		p.wg.Done()
	}
	if s == nil {
		start := time.Now()
		fresh, err := p.newSlot()
		if err != nil {
			giveBack(nil)
			return nil, fmt.Errorf("render: start pdfium: %w", err)
		}
		p.opts.Logger.Debug("render: fresh instance", slog.Duration("start", time.Since(start)))
		s = fresh
	}
	pi, err := s.wasm.GetInstanceWithContext(ctx)
	if err != nil {
		if cerr := s.close(); cerr != nil {
			p.opts.Logger.Debug("render: instance close", slog.Any("err", cerr))
		}
		giveBack(nil)
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, fmt.Errorf("render: get instance: %w", err)
	}
	in := &instance{Pdfium: pi, p: p, s: s}
	// On the deadline, interrupt whatever the instance is running. Only
	// the slot's context is cancelled here; the slot is closed by release.
	in.stop = context.AfterFunc(ctx, s.cancel)
	return in, nil
}

// release returns the instance to its slot, or discards the slot if the
// deadline interrupted it or the instance was marked bad after an error: a
// document that ran out of time may have left PDFium in any state. It must
// be called after the instance's last call returned, so closing the module
// never races a running call.
func (in *instance) release() {
	p := in.p
	defer p.wg.Done()
	if in.stop() && !in.bad {
		err := in.Close()
		if err == nil {
			p.slots <- in.s
			return
		}
		p.opts.Logger.Debug("render: instance close", slog.Any("err", err))
	}
	// Kill, not Close: it runs no PDFium code, and no call is running.
	if err := in.Kill(); err != nil {
		p.opts.Logger.Debug("render: instance kill", slog.Any("err", err))
	}
	if err := in.s.close(); err != nil {
		p.opts.Logger.Debug("render: slot close", slog.Any("err", err))
	}
	p.slots <- nil
}
