package render

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
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

	mu       sync.Mutex
	pool     *Pool
	startErr error // why the last start failed; nil once started
	closed   bool
}

var _ sanitizer.Flattener = (*Flattener)(nil)

// NewFlattener returns a Flattener whose Pool is built from opts when it
// is first needed.
func NewFlattener(opts Options) *Flattener { return &Flattener{opts: opts} }

// FlattenPDF renders the PDF in r into a new image-only PDF output of job
// named name, within the job's policy (dpi, pages, page pixels, input
// size), opening it with the job's password if it has one. It records on
// the report what PDFium saw of the document's active content (all of it
// left behind), how it was rendered, and any page whose text did not
// render: by the policy's lost_text, such a document is withheld
// (sanitizer.ReasonLostText) or delivered with a note. units is each
// page's /UserUnit by page index (Limits.PageUnits): PDFium does not read
// it.
func (f *Flattener) FlattenPDF(ctx context.Context, job *sanitizer.Job, r io.ReadSeeker, size int64, name string, units []float64) error {
	pool, err := f.start(ctx)
	if err != nil {
		return sanitizer.Withhold(sanitizer.ReasonSandbox, err)
	}
	if !pool.HasCJKFonts() {
		job.Note("no Japanese fallback font is installed: text in non-embedded Japanese fonts may be missing from the pages")
	}
	out := job.CreateNamed(name, detect.PDF)
	p := job.Policy.PDF
	st, err := pool.Flatten(ctx, r, size, out, Limits{
		DPI: p.DPI, MaxPages: p.MaxPages, MaxPagePixels: p.MaxPagePixels, MaxInputBytes: job.Policy.Limits.MaxInputBytes,
		Password: job.Password, PageUnits: units,
		Text: TextLayer{Mode: p.TextLayer, OCR: f.OCR},
	})
	if err != nil {
		return reason(err, job.Password != "")
	}
	for _, c := range slices.Sorted(maps.Keys(st.Removed)) {
		job.Removed(c, st.Removed[c])
	}
	if st.Encrypted {
		job.Note("the PDF was decrypted before rendering")
	}
	job.Note(fmt.Sprintf("%d pages rendered at %d dpi", st.Pages, p.DPI))
	for _, q := range slices.Sorted(maps.Keys(st.JPEGQuality)) {
		job.Note(fmt.Sprintf("%d pages stored as JPEG at quality %d", st.JPEGQuality[q], q))
	}
	if len(st.Skipped) > 0 {
		job.Note(fmt.Sprintf("pages the PDF lists but that cannot be read were left out: %s", pageList(st.Skipped)))
	}
	textNotes(job, st.Text)
	if len(st.LostText) == 0 {
		return nil
	}
	msg := lostTextNote(st.LostText)
	if p.LostText == "warn" {
		job.Note("warning: " + msg)
		return nil
	}
	return sanitizer.Withhold(sanitizer.ReasonLostText, errors.New(msg))
}

// pageList writes page numbers.
func pageList(pages []int) string { return firstTen(pages, strconv.Itoa) }

// lostTextNote names the pages that lost text and their fonts.
func lostTextNote(lost []LostText) string {
	s := "text did not render on page "
	if len(lost) > 1 {
		s = "text did not render on pages "
	}
	return s + firstTen(lost, func(l LostText) string {
		if len(l.Fonts) == 0 {
			return fmt.Sprintf("%d (%d characters)", l.Page, l.Chars)
		}
		return fmt.Sprintf("%d (%d characters, font %s)", l.Page, l.Chars, strings.Join(l.Fonts, ", "))
	})
}

// firstTen joins the first ten items as f writes them, and says how many
// more there are.
func firstTen[T any](items []T, f func(T) string) string {
	var b strings.Builder
	for i, it := range items {
		if i == 10 {
			fmt.Fprintf(&b, " and %d more", len(items)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f(it))
	}
	return b.String()
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
		f.startErr = fmt.Errorf("starting the PDF renderer: %w", err)
		return nil, f.startErr
	}
	f.pool, f.startErr = p, nil
	return p, nil
}

// State tells an operator how the renderer is: started, or why its last
// start failed (the next PDF tries again); neither means it has not
// been needed yet and starts with the first PDF.
func (f *Flattener) State() (started bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false, errors.New("render: the PDF renderer is closed")
	}
	return f.pool != nil, f.startErr
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

// reason maps the renderer's errors onto the engine's reasons;
// withPassword says a password was tried.
func reason(err error, withPassword bool) error {
	var le *LimitError
	switch {
	case withPassword && errors.Is(err, ErrEncrypted):
		return sanitizer.HoldFor(sanitizer.ReasonWrongPassword, err)
	case errors.Is(err, ErrEncrypted):
		return sanitizer.HoldFor(sanitizer.ReasonEncrypted, err)
	case errors.As(err, &le):
		return sanitizer.Withhold(sanitizer.ReasonLimit, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return sanitizer.Withhold(sanitizer.ReasonTimeout, err)
	}
	return sanitizer.Withhold(sanitizer.ReasonMalformed, err)
}
