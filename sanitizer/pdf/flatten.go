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
// While PDFium renders, the Inspector runs Inspect (pdfcpu) on the same
// input in its own sandbox, for the report alone: PDFium's API does not
// tell the document's /OpenAction and /AA, form-field scripts, the
// calculation order, PostScript XObjects, external streams, alternate
// presentations, nor JavaScript in a link from another action. The report
// keeps, per category, the larger of the two counts. When the inspection
// fails (pdfcpu refuses the file, its guest crashes, a limit or its time
// runs out) the PDF is flattened all the same, with a note that the list
// is PDFium's alone.
func (h *handler) flatten(ctx context.Context, job *sanitizer.Job) error {
	if h.opts.Flattener == nil {
		return sanitizer.Withhold(sanitizer.ReasonNoHandler, errors.New("no PDF renderer"))
	}
	inventory := h.startInventory(ctx, job)
	err := h.opts.Flattener.FlattenPDF(ctx, job, job.Input.Open(), job.Input.Size(), detect.WithExt(job.Name, ".pdf"))
	info, ierr := inventory(err != nil)
	if err != nil {
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

// startInventory starts the Inspector on the job's PDF and returns the
// function that waits for its Info; with abandon, it ends the inspection
// first. The inspection has at most half of the time left to the item,
// so that it cannot make a flattened item late.
func (h *handler) startInventory(ctx context.Context, job *sanitizer.Job) func(abandon bool) (Info, error) {
	if h.opts.Inspector == nil {
		return func(bool) (Info, error) { return Info{}, errors.New("no PDF inspection sandbox") }
	}
	var cancel context.CancelFunc
	if dl, ok := ctx.Deadline(); ok {
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-time.Until(dl)/2))
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	type inventory struct {
		info Info
		err  error
	}
	done := make(chan inventory, 1)
	lim := Limits{MaxBytes: job.Policy.Limits.MaxInputBytes, MaxPages: job.Policy.PDF.MaxPages, Password: job.Password}
	go func() {
		info, err := h.opts.Inspector.Inventory(ctx, job.Input.Open(), lim)
		done <- inventory{info, err}
	}()
	return func(abandon bool) (Info, error) {
		if abandon {
			cancel()
		}
		r := <-done
		cancel()
		return r.info, r.err
	}
}
