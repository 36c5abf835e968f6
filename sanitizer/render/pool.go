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
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

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

	// MemoryLimitBytes caps the linear memory of each instance. A document
	// that needs more fails to render (and is withheld). Default 512 MiB,
	// at most 4 GiB (the WebAssembly 32-bit limit).
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
type Pool struct {
	opts     Options
	wasm     pdfium.Pool
	cache    wazero.CompilationCache
	fontRoot string
	fonts    []string
	cjk      bool

	// slots bounds the number of borrowed instances to Options.Instances,
	// so that borrowing never blocks inside go-pdfium's pool.
	slots chan struct{}

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup // borrowed instances
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
		fontRoot: fontRoot,
		fonts:    fonts,
		cjk:      hasCJK(fonts),
		slots:    make(chan struct{}, opts.Instances),
	}
	if !p.cjk {
		log.Warn("render: no CJK fallback font found; Japanese text in non-embedded fonts will render blank",
			slog.Any("font_dirs", opts.FontDirs))
	}

	cache, err := wazero.NewCompilationCacheWithDir(filepath.Join(opts.CacheDir, "wazero"))
	if err != nil {
		// A cache that cannot be written costs start-up time, not safety.
		log.Warn("render: compilation cache unavailable", slog.Any("err", err))
		cache = wazero.NewCompilationCache()
	}
	p.cache = cache

	rc := wazero.NewRuntimeConfig().
		// The bundled module lowers setjmp/longjmp to exception handling
		// instructions (see webassembly.Init).
		WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
		WithCompilationCache(cache).
		// A cancelled worker context (instance Kill) aborts the running call.
		// The price: the compiled code leaves for Go at every loop and call
		// to check for it, which makes PDFium's work 3 to 4 times as costly
		// and every call into the module about ten times (December 2026,
		// wazero v1.12.0: a Latin text page renders in 37 ms of CPU with
		// the checks, 9 without; the text layer's FPDFText_LoadPage of a
		// Japanese page 23 ms against 4). Without them nothing can stop a
		// call that does not return, so they stay.
		WithCloseOnContextDone(true)

	// QUIRK: the module declares a maximum of 32768 pages (2 GiB), and
	// RuntimeConfig.WithMemoryLimitPages below that makes wazero refuse to
	// compile it. The supported way to cap a module's memory is a memory
	// allocator that refuses to grow past the cap; the guest's malloc then
	// returns NULL and PDFium fails the render.
	poolCtx := experimental.WithMemoryAllocator(context.WithoutCancel(ctx), cappedAllocator{limit: uint64(opts.MemoryLimitBytes)})

	start := time.Now()
	wp, err := webassembly.Init(webassembly.Config{
		Context:  poolCtx,
		MinIdle:  0,
		MaxIdle:  opts.Instances,
		MaxTotal: opts.Instances,
		// Mount nothing but the read-only font folder, at the guest root:
		// PDFium looks for fallback fonts under /usr/share/fonts.
		// QUIRK: mounting a host font folder at the guest path
		// /usr/share/fonts was not seen by PDFium; a folder at "/" that holds
		// usr/share/fonts/<font> is.
		FSConfig:      wazero.NewFSConfig().WithReadOnlyDirMount(fontRoot, "/"),
		RuntimeConfig: rc,
		Stdout:        io.Discard,
		Stderr:        io.Discard,
		ReuseWorkers:  true,
	})
	if err != nil {
		cache.Close(context.Background())
		os.RemoveAll(fontRoot)
		return nil, fmt.Errorf("render: start pdfium: %w", err)
	}
	p.wasm = wp
	log.Debug("render: pool ready", slog.Duration("compile", time.Since(start)),
		slog.Int("instances", opts.Instances), slog.Int("fonts", len(fonts)), slog.Bool("cjk", p.cjk))
	return p, nil
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
	err := p.wasm.Close()
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
	stop func() bool // stops the kill-on-ctx-done hook
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

	if wait {
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			p.wg.Done()
			return nil, context.Cause(ctx)
		}
	} else {
		select {
		case p.slots <- struct{}{}:
		default:
			p.wg.Done()
			return nil, nil
		}
	}
	pi, err := p.wasm.GetInstanceWithContext(ctx)
	if err != nil {
		<-p.slots
		p.wg.Done()
		return nil, fmt.Errorf("render: get instance: %w", err)
	}
	in := &instance{Pdfium: pi, p: p}
	// On the deadline, abort whatever the instance is running and discard
	// it: a document that ran out of time may have left PDFium in any state.
	in.stop = context.AfterFunc(ctx, func() { _ = pi.Kill() })
	return in, nil
}

// release returns the instance to the pool, or discards it if it was
// killed by the deadline or marked bad after an error.
func (in *instance) release() {
	defer func() {
		<-in.p.slots
		in.p.wg.Done()
	}()
	if !in.stop() {
		return // killed: already invalidated
	}
	if in.bad {
		_ = in.Kill()
		return
	}
	if err := in.Close(); err != nil {
		in.p.opts.Logger.Debug("render: instance close", slog.Any("err", err))
	}
}
