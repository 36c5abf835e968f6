// Package enginetest builds sanitizer engines for the tests of the format
// packages. Items nested in an archive, a mail or an office document meet
// PDFs, images, text and calendars, so an engine built here has the PDF,
// image, text and calendar handlers and verifiers beside the ones under test, as the
// composition root (internal/app) gives them, and a real renderer.
package enginetest

import (
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/calendar"
	"github.com/mugai-project/mugai/sanitizer/detect"
	"github.com/mugai-project/mugai/sanitizer/image"
	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/sandbox"
	"github.com/mugai-project/mugai/sanitizer/render"
	"github.com/mugai-project/mugai/sanitizer/text"
	"github.com/mugai-project/mugai/sanitizer/verify"
)

// CacheDir is shared by test runs so that the PDF renderer's module is
// compiled once per machine.
func CacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "mugai-test")
}

// Renderer returns a PDF renderer, started on first use and closed when
// the test ends.
func Renderer(t testing.TB) *render.Flattener {
	t.Helper()
	r := render.NewFlattener(render.Options{CacheDir: CacheDir()})
	t.Cleanup(func() { r.Close() })
	return r
}

// New builds an engine from opts with the PDF (flattened by r, or by a
// new Renderer when r is nil, disarmed and inspected in a new sandbox), image and
// text handlers and verifiers added; opts.Handlers and opts.Verifiers
// take precedence. TempDir
// defaults to a folder of the test. The engine is closed when the test
// ends.
func New(t testing.TB, opts sanitizer.Options, r sanitizer.Flattener) *sanitizer.Engine {
	t.Helper()
	if r == nil {
		r = Renderer(t)
	}
	if opts.TempDir == "" {
		opts.TempDir = t.TempDir()
	}
	d := sandbox.New(sandbox.Options{CacheDir: CacheDir()})
	t.Cleanup(func() { d.Close() })
	handlers := map[detect.Kind]sanitizer.Handler{}
	maps.Copy(handlers, pdf.Handlers(pdf.HandlerOptions{Flattener: r, Disarmer: d, Inspector: d}))
	maps.Copy(handlers, image.Handlers(image.Limits{}))
	maps.Copy(handlers, text.Handlers(text.HandlerOptions{}))
	maps.Copy(handlers, calendar.Handlers(calendar.Options{}))
	maps.Copy(handlers, opts.Handlers)
	verifiers := map[detect.Kind]verify.Func{}
	maps.Copy(verifiers, pdf.VerifiersFor(opts.Policy))
	maps.Copy(verifiers, image.Verifiers())
	maps.Copy(verifiers, text.Verifiers())
	maps.Copy(verifiers, calendar.Verifiers())
	maps.Copy(verifiers, opts.Verifiers)
	opts.Handlers, opts.Verifiers = handlers, verifiers
	e, err := sanitizer.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}
