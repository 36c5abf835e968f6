package sanitizer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/mugai-project/mugai/sanitizer/detect"
	"github.com/mugai-project/mugai/sanitizer/image"
	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/render"
)

// addBuiltins registers the handlers of the core formats: PDF, raster
// images, text and HTML.
func (e *Engine) addBuiltins() {
	e.handlers[detect.PDF] = HandlerFunc(e.pdf.act)
	for _, k := range []detect.Kind{detect.PNG, detect.JPEG, detect.GIF, detect.BMP, detect.TIFF, detect.WebP} {
		e.handlers[k] = HandlerFunc(actImage)
	}
	for _, k := range []detect.Kind{detect.Text, detect.CSV, detect.TSV} {
		e.handlers[k] = HandlerFunc(actText)
	}
	e.handlers[detect.HTML] = HandlerFunc(actHTML)
}

// pdfHandler flattens PDFs through the sandboxed renderer pool, started
// on first use (compiling the module takes seconds the first time, then
// comes from the on-disk cache), or disarms them with pdfcpu.
type pdfHandler struct {
	cacheDir string
	log      *slog.Logger

	mu   sync.Mutex
	pool *render.Pool
}

func newPDFHandler(cacheDir string, log *slog.Logger) *pdfHandler {
	return &pdfHandler{cacheDir: cacheDir, log: log}
}

func (h *pdfHandler) renderer(ctx context.Context) (*render.Pool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pool != nil {
		return h.pool, nil
	}
	// The pool outlives the item that started it.
	p, err := render.New(context.WithoutCancel(ctx), render.Options{CacheDir: h.cacheDir, Logger: h.log})
	if err != nil {
		return nil, fmt.Errorf("starting the PDF renderer: %w", err)
	}
	h.pool = p
	return p, nil
}

// Close stops the renderer pool if it was started.
func (h *pdfHandler) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pool == nil {
		return nil
	}
	err := h.pool.Close()
	h.pool = nil
	return err
}

func (h *pdfHandler) act(ctx context.Context, job *Job) error {
	lim := pdf.Limits{MaxBytes: job.Policy.Limits.MaxInputBytes, MaxPages: job.Policy.PDF.MaxPages, Password: job.Password}
	info, err := pdf.Inspect(ctx, job.Input.Open(), lim)
	if err != nil {
		return pdfError(err, job.Password != "")
	}
	switch job.Action {
	case Disarm:
		out := job.Create(".pdf", detect.PDF)
		removed, err := pdf.Disarm(ctx, job.Input.Open(), out, pdf.DisarmOptions{Links: job.Policy.PDF.Links, Limits: lim})
		if err != nil {
			return pdfError(err, false)
		}
		for _, c := range removed.Categories() {
			job.Removed(c, removed[c])
		}
		return nil
	case Flatten:
		// Rendering leaves nothing but pixels: everything Inspect found
		// is gone.
		for _, f := range info.Findings {
			job.Removed(f.Category, f.Count)
		}
		name := detect.WithExt(job.Name, ".pdf")
		if !info.Encrypted {
			return job.Engine.FlattenPDF(ctx, job, job.Input.Open(), job.Input.Size(), name)
		}
		// The renderer takes no password: render a decrypted rewrite
		// (itself disarmed) instead.
		plain := job.NewBuffer()
		defer plain.Close()
		if _, err := pdf.Disarm(ctx, job.Input.Open(), plain, pdf.DisarmOptions{Limits: lim}); err != nil {
			return pdfError(err, false)
		}
		job.Note("the PDF was decrypted before rendering")
		return job.Engine.FlattenPDF(ctx, job, plain.Open(), plain.Size(), name)
	}
	return Withhold(ReasonPolicy, fmt.Errorf("action %s does not apply to PDF", job.Action))
}

// FlattenPDF renders the PDF in r into a new image-only PDF output of job
// named name. Office handlers use it after converting a document to PDF.
func (e *Engine) FlattenPDF(ctx context.Context, job *Job, r io.ReadSeeker, size int64, name string) error {
	pool, err := e.pdf.renderer(ctx)
	if err != nil {
		return Withhold(ReasonInternal, err)
	}
	if !pool.HasCJKFonts() {
		job.Note("no Japanese fallback font is installed: text in non-embedded Japanese fonts may be missing from the pages")
	}
	out := job.CreateNamed(name, detect.PDF)
	p := job.Policy.PDF
	st, err := pool.Flatten(ctx, r, size, out, render.Limits{
		DPI: p.DPI, MaxPages: p.MaxPages, MaxPagePixels: p.MaxPagePixels, MaxInputBytes: job.Policy.Limits.MaxInputBytes,
	})
	if err != nil {
		return pdfError(err, false)
	}
	job.Note(fmt.Sprintf("%d pages rendered at %d dpi", st.Pages, p.DPI))
	return nil
}

// pdfError maps the PDF packages' errors onto reasons; withPassword says
// a password was tried.
func pdfError(err error, withPassword bool) error {
	var le *render.LimitError
	switch {
	case withPassword && errors.Is(err, pdf.ErrEncrypted):
		return HoldFor(ReasonWrongPassword, err)
	case errors.Is(err, pdf.ErrEncrypted), errors.Is(err, render.ErrEncrypted):
		return HoldFor(ReasonEncrypted, err)
	case errors.As(err, &le), errors.Is(err, pdf.ErrLimit):
		return Withhold(ReasonLimit, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return Withhold(ReasonTimeout, err)
	}
	return Withhold(ReasonMalformed, err)
}

func actImage(ctx context.Context, job *Job) error {
	ext, kind, want := ".png", detect.PNG, image.FormatPNG
	if job.Kind == detect.JPEG {
		ext, kind, want = ".jpg", detect.JPEG, image.FormatJPEG
	}
	out := job.Create(ext, kind)
	res, err := image.Reencode(ctx, job.Input.Open(), out, image.Limits{
		MaxInputBytes: job.Policy.Limits.MaxInputBytes,
		MaxPixels:     job.Policy.Image.MaxPixels,
		JPEGQuality:   job.Policy.Image.JPEGQuality,
	})
	switch {
	case image.IsLimit(err):
		return Withhold(ReasonLimit, err)
	case err != nil:
		return Withhold(ReasonMalformed, err)
	}
	if res.OutFormat != want {
		return Withhold(ReasonInternal, fmt.Errorf("image re-encoded as %s, want %s", res.OutFormat, kind))
	}
	rm := res.Removed
	job.Removed("exif", b2i(rm.EXIF))
	job.Removed("gps", b2i(rm.GPS))
	job.Removed("xmp", b2i(rm.XMP))
	job.Removed("icc", b2i(rm.ICC))
	job.Removed("iptc", b2i(rm.IPTC))
	job.Removed("text-chunk", rm.TextChunks)
	job.Removed("comment", rm.Comments)
	job.Removed("metadata", rm.OtherMetadata)
	job.Removed("trailing-bytes", int(min(rm.TrailingBytes, 1<<30)))
	job.Removed("frame", rm.ExtraFrames)
	for _, n := range res.Notes() {
		job.Note(n)
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
