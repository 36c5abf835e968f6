package sanitizer

import (
	"context"
	"io"
)

// Handler rebuilds one item. It reads job.Input and writes outputs with
// job.Create. It returns a *WithheldError to withhold the item with a
// reason; any other error withholds it as malformed.
type Handler interface {
	Act(ctx context.Context, job *Job) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, job *Job) error

// Act calls f.
func (f HandlerFunc) Act(ctx context.Context, job *Job) error { return f(ctx, job) }

// Flattener renders a PDF into a new image-only PDF output of a job. The
// PDF handler uses it for the flatten action and the office handlers after
// LibreOffice has converted a document; the composition root hands both
// the same one (the sandboxed renderer pool of sanitizer/render).
type Flattener interface {
	// FlattenPDF renders the size bytes of PDF in r into a new output of
	// job named name. units is each page's /UserUnit (ISO 32000-1
	// §7.7.3.3), the size of its unit in points, by page index, which the
	// renderer does not read (the PDF handler takes it from its own
	// inspection); nil, or a page beyond it, is a unit of one point. It
	// returns a *WithheldError for a PDF it refuses.
	FlattenPDF(ctx context.Context, job *Job, r io.ReadSeeker, size int64, name string, units []float64) error
}
