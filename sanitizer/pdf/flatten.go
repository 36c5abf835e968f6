//go:build !wasip1

package pdf

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// flatten hands the PDF, as it came, to the Flattener. Nothing in mugai's
// own process parses it on this path: PDFium, in its WebAssembly sandbox,
// counts the pages and checks their sizes, opens an encrypted document
// with the job's password (or the empty one, which opens documents with
// only an owner password), takes its inventory for the report and renders
// the pages. A document is malformed only when PDFium cannot load it or
// render its pages; pdfcpu's stricter parser does not decide
// (TestFlattenReachesNoPDFCPU proves that no code of this package that
// uses pdfcpu is reachable from here).
//
// Before PDFium renders, the Inspector runs Inspect (pdfcpu) on the same
// input in its own sandbox, for two things PDFium's API does not tell.
// For the report: the document's /OpenAction and /AA, form-field
// scripts, the calculation order, PostScript XObjects, external streams,
// alternate presentations, JavaScript in a link from another action; the
// report keeps, per category, the larger of the two counts. For the
// render: each page's /UserUnit (§7.7.3.3), by which the Flattener
// scales the page. When the inspection fails (pdfcpu refuses the file,
// its guest crashes, a limit or its time runs out) the PDF is flattened
// all the same, at its size in default units, with a note that the list
// is PDFium's alone.
func (h *handler) flatten(ctx context.Context, job *sanitizer.Job) error {
	if h.opts.Flattener == nil {
		return sanitizer.Withhold(sanitizer.ReasonNoHandler, errors.New("no PDF renderer"))
	}
	info, ierr := h.inventory(ctx, job)
	out := detect.WithExt(job.Name, ".pdf")
	if err := h.opts.Flattener.FlattenPDF(ctx, job, job.Input.Open(), job.Input.Size(), out, info.units()); err != nil {
		return err
	}
	if ierr != nil {
		job.Note(fmt.Sprintf("the removed content is listed as PDFium saw it alone: pdfcpu could not inspect the PDF (%.200s)", ierr))
		return nil
	}
	for _, f := range info.Findings {
		job.RemovedAtLeast(f.Category, f.Count)
	}
	return nil
}

// units is each page's /UserUnit, or nil when every page has units of
// one point.
func (i Info) units() []float64 {
	units := make([]float64, len(i.PageSizes))
	scaled := false
	for n, p := range i.PageSizes {
		units[n] = p.Unit
		scaled = scaled || p.Unit != 1
	}
	if !scaled {
		return nil
	}
	return units
}

// inventory runs the Inspector on the job's PDF. It has at most half of
// the time left to the item, so that it cannot make a flattened item late.
func (h *handler) inventory(ctx context.Context, job *sanitizer.Job) (Info, error) {
	if h.opts.Inspector == nil {
		return Info{}, errors.New("no PDF inspection sandbox")
	}
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-time.Until(dl)/2))
		defer cancel()
	}
	lim := Limits{MaxBytes: job.Policy.Limits.MaxInputBytes, MaxPages: job.Policy.PDF.MaxPages, Password: job.Password}
	return h.opts.Inspector.Inventory(ctx, job.Input.Open(), lim)
}
