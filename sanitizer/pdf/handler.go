// The engine handler runs on the host only: the PDF disarm guest of
// sanitizer/pdf/sandbox, built for wasip1, links the disarm and Inspect
// alone.

//go:build !wasip1

package pdf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mugai-project/mugai/internal/catalog"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
	"github.com/mugai-project/mugai/sanitizer/verify"
)

// HandlerOptions configure the PDF handler.
type HandlerOptions struct {
	// Flattener renders PDFs into image-only PDFs for the flatten action
	// (the renderer pool of sanitizer/render), opening encrypted ones with
	// the job's password and reporting what it left behind. Without one, a
	// PDF to be flattened is withheld: that cannot be done on this server.
	Flattener sanitizer.Flattener
	// Disarmer runs Disarm for the disarm action and for the decrypted
	// rewrite of an encrypted PDF before it is flattened: the WebAssembly
	// sandbox of sanitizer/pdf/sandbox, so that pdfcpu never rewrites a
	// hostile file in mugai's own process. Without one, those PDFs are
	// withheld.
	Disarmer Disarmer
	// Inspector takes, beside the render, pdfcpu's inventory of a PDF
	// being flattened, for the report alone (see flatten.go): the same
	// sandbox as the Disarmer. Without one, the report of a flattened PDF
	// lists what PDFium saw, and says so.
	Inspector Inspector
}

// ErrSandboxUnavailable matches (errors.Is) a Disarmer's or Inspector's
// failure to start the sandbox it runs in (a module that does not compile,
// a cache folder that cannot be made): a fault of this server, not of the
// file, which the handler withholds as sanitizer.ReasonSandbox.
var ErrSandboxUnavailable = errors.New("pdf: the sandbox could not be started")

// Disarmer is Disarm, run elsewhere, with its contract and error values.
type Disarmer interface {
	Disarm(ctx context.Context, r io.ReadSeeker, w io.Writer, opts DisarmOptions) (Removed, error)
}

// Inspector is Inspect, run elsewhere, with its error values.
type Inspector interface {
	Inventory(ctx context.Context, r io.ReadSeeker, lim Limits) (Info, error)
}

// Handlers returns the engine handler for PDF. By the job's action a PDF
// is flattened (handed as it came to the Flattener, whose sandboxed PDFium
// is the only parser that reads it: see flatten.go) or inspected within
// the policy's limits and disarmed (rewritten without active content).
func Handlers(opts HandlerOptions) map[detect.Kind]sanitizer.Handler {
	h := &handler{opts: opts}
	return map[detect.Kind]sanitizer.Handler{detect.PDF: sanitizer.HandlerFunc(h.act)}
}

// Verifiers returns the independent check for any PDF output, disarmed
// or flattened, refusing web links as well as every other action.
func Verifiers() map[detect.Kind]verify.Func {
	return VerifiersFor(sanitizer.Policy{Actions: map[detect.Kind]sanitizer.Action{detect.PDF: sanitizer.Disarm}})
}

// VerifiersFor returns the check matching the policy p: with pdf.links
// "keep", disarmed PDFs keep their web links and the check lets /URI
// actions pass; when p does not disarm PDFs, every PDF output is a
// flattened one and must have the flattened pages' shape (one image, at
// most the invisible text layer).
func VerifiersFor(p sanitizer.Policy) map[detect.Kind]verify.Func {
	d := p.Decide(detect.PDF)
	// A disarmed PDF keeps text and vector content: only where none is
	// delivered does the check hold every PDF to the flattened shape.
	o := verify.PDFOptions{AllowURI: p.PDF.Links == "keep", Flattened: d != sanitizer.Disarm && d != sanitizer.Both}
	return map[detect.Kind]verify.Func{detect.PDF: verify.Kind(detect.PDF, verify.PDFCheck(o))}
}

type handler struct{ opts HandlerOptions }

// noDisarmer withholds a PDF that needs a Disarmer the handler was not
// given.
func noDisarmer() error {
	return sanitizer.Withhold(sanitizer.ReasonNoHandler, errors.New("no PDF disarm sandbox"))
}

func (h *handler) act(ctx context.Context, job *sanitizer.Job) error {
	switch job.Action {
	case sanitizer.Flatten:
		return h.flatten(ctx, job)
	case sanitizer.Disarm:
		removed, err := h.disarm(ctx, job, detect.WithExt(job.Name, ".pdf"))
		for _, c := range removed.Categories() {
			job.Removed(c, removed[c])
		}
		return err
	case sanitizer.Both:
		// The flattened PDF, safe to view, and the disarmed one, with its
		// forms and vector quality, side by side. The flattened one
		// removes all the disarmed one does and more: the report counts
		// its removals, and names the disarmed copy's in a note.
		if err := h.flatten(ctx, job); err != nil {
			return err
		}
		name := detect.WithExt(job.Name, "") + catalog.Text(catalog.Japanese, "report.editable_pdf_suffix") + ".pdf"
		removed, err := h.disarm(ctx, job, name)
		if err != nil {
			return err
		}
		job.Note(fmt.Sprintf("%s is disarmed, not flattened: it keeps text, forms and vector graphics; removed from it: %s", detect.CleanName(name), removedList(removed)))
		return nil
	}
	return sanitizer.Withhold(sanitizer.ReasonPolicy, fmt.Errorf("action %s does not apply to PDF", job.Action))
}

// disarm writes the PDF rebuilt without active content as the output
// name, through the sandboxed Disarmer, which reads the PDF, its
// encryption included: nothing in mugai's process parses the input on
// this path either.
func (h *handler) disarm(ctx context.Context, job *sanitizer.Job, name string) (Removed, error) {
	if h.opts.Disarmer == nil {
		return nil, noDisarmer()
	}
	lim := Limits{MaxBytes: job.Policy.Limits.MaxInputBytes, MaxPages: job.Policy.PDF.MaxPages, Password: job.Password}
	out := job.CreateNamed(name, detect.PDF)
	removed, err := h.opts.Disarmer.Disarm(ctx, job.Input.Open(), out, DisarmOptions{Links: job.Policy.PDF.Links, Limits: lim})
	if err != nil {
		return nil, reason(err, job.Password != "")
	}
	return removed, nil
}

// removedList writes what a disarm removed, "nothing" for none.
func removedList(r Removed) string {
	var parts []string
	for _, c := range r.Categories() {
		parts = append(parts, fmt.Sprintf("%s×%d", c, r[c]))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// reason maps Inspect's and Disarm's errors onto the engine's reasons;
// withPassword says a password was tried.
func reason(err error, withPassword bool) error {
	switch {
	case withPassword && errors.Is(err, ErrEncrypted):
		return sanitizer.HoldFor(sanitizer.ReasonWrongPassword, err)
	case errors.Is(err, ErrEncrypted):
		return sanitizer.HoldFor(sanitizer.ReasonEncrypted, err)
	case errors.Is(err, ErrLimit):
		return sanitizer.Withhold(sanitizer.ReasonLimit, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return sanitizer.Withhold(sanitizer.ReasonTimeout, err)
	case errors.Is(err, ErrSandboxUnavailable):
		return sanitizer.Withhold(sanitizer.ReasonSandbox, err)
	}
	return sanitizer.Withhold(sanitizer.ReasonMalformed, err)
}
