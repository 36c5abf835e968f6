//go:build !wasip1

package pdf

import (
	"context"
	"errors"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// flatten hands the PDF, as it came, to the Flattener. Nothing in mugai's
// own process parses it on this path: PDFium, in its WebAssembly sandbox,
// counts the pages and checks their sizes, opens an encrypted document
// with the job's password (or the empty one, which opens documents with
// only an owner password), takes the inventory for the report and renders
// the pages. A document is malformed only when PDFium cannot load it or
// render its pages; pdfcpu's stricter parser is not consulted
// (TestFlattenReachesNoPDFCPU proves that no code of this package that
// uses pdfcpu is reachable from here).
func (h *handler) flatten(ctx context.Context, job *sanitizer.Job) error {
	if h.opts.Flattener == nil {
		return sanitizer.Withhold(sanitizer.ReasonNoHandler, errors.New("no PDF renderer"))
	}
	return h.opts.Flattener.FlattenPDF(ctx, job, job.Input.Open(), job.Input.Size(), detect.WithExt(job.Name, ".pdf"))
}
