package render

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// Flattener is the engine's PDF renderer (a sanitizer.Flattener) for the
// PDF and office handlers. Its Pool starts on first use, so that a
// process that meets no PDF never pays for it: compiling the module takes
// seconds the first time, then comes from the on-disk cache. The
// composition root builds one and hands it to the engine, which closes it.
type Flattener struct {
	// OCR reads the pages without text of their own for the text layer
	// (policy pdf.text_layer "auto" or "ocr"); nil when OCR is not
	// available, and those pages carry no text.
	OCR PageReader

	opts Options

	mu     sync.Mutex
	pool   *Pool
	closed bool
}

var _ sanitizer.Flattener = (*Flattener)(nil)

// NewFlattener returns a Flattener whose Pool is built from opts when it
// is first needed.
func NewFlattener(opts Options) *Flattener { return &Flattener{opts: opts} }

// FlattenPDF renders the PDF in r into a new image-only PDF output of job
// named name, within the job's policy (dpi, pages, page pixels, input
// size), and notes on the report how it was rendered.
func (f *Flattener) FlattenPDF(ctx context.Context, job *sanitizer.Job, r io.ReadSeeker, size int64, name string) error {
	pool, err := f.start(ctx)
	if err != nil {
		return sanitizer.Withhold(sanitizer.ReasonInternal, err)
	}
	if !pool.HasCJKFonts() {
		job.Note("no Japanese fallback font is installed: text in non-embedded Japanese fonts may be missing from the pages")
	}
	out := job.CreateNamed(name, detect.PDF)
	p := job.Policy.PDF
	st, err := pool.Flatten(ctx, r, size, out, Limits{
		DPI: p.DPI, MaxPages: p.MaxPages, MaxPagePixels: p.MaxPagePixels, MaxInputBytes: job.Policy.Limits.MaxInputBytes,
		Text: TextLayer{Mode: p.TextLayer, OCR: f.OCR},
	})
	if err != nil {
		return reason(err)
	}
	job.Note(fmt.Sprintf("%d pages rendered at %d dpi", st.Pages, p.DPI))
	textNotes(job, st.Text)
	return nil
}

// start returns the pool, starting it on the first call.
func (f *Flattener) start(ctx context.Context) (*Pool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.closed:
		return nil, errors.New("render: the PDF renderer is closed")
	case f.pool != nil:
		return f.pool, nil
	}
	// The pool outlives the item that started it.
	p, err := New(context.WithoutCancel(ctx), f.opts)
	if err != nil {
		return nil, fmt.Errorf("starting the PDF renderer: %w", err)
	}
	f.pool = p
	return p, nil
}

// Close stops the pool if it was started, after the documents being
// rendered; FlattenPDF fails from then on.
func (f *Flattener) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	if f.pool == nil {
		return nil
	}
	return f.pool.Close()
}

// reason maps the renderer's errors onto the engine's reasons.
func reason(err error) error {
	var le *LimitError
	switch {
	case errors.Is(err, ErrEncrypted):
		return sanitizer.HoldFor(sanitizer.ReasonEncrypted, err)
	case errors.As(err, &le):
		return sanitizer.Withhold(sanitizer.ReasonLimit, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return sanitizer.Withhold(sanitizer.ReasonTimeout, err)
	}
	return sanitizer.Withhold(sanitizer.ReasonMalformed, err)
}
