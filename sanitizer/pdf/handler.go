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
	o := verify.PDFOptions{AllowURI: p.PDF.Links == "keep", Flattened: p.Decide(detect.PDF) != sanitizer.Disarm}
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
		if h.opts.Disarmer == nil {
			return noDisarmer()
		}
		// The sandboxed disarm reads the PDF, its encryption included:
		// nothing in mugai's process parses the input on this path either.
		lim := Limits{MaxBytes: job.Policy.Limits.MaxInputBytes, MaxPages: job.Policy.PDF.MaxPages, Password: job.Password}
		out := job.Create(".pdf", detect.PDF)
		removed, err := h.opts.Disarmer.Disarm(ctx, job.Input.Open(), out, DisarmOptions{Links: job.Policy.PDF.Links, Limits: lim})
		if err != nil {
			return reason(err, job.Password != "")
		}
		for _, c := range removed.Categories() {
			job.Removed(c, removed[c])
		}
		return nil
	}
	return sanitizer.Withhold(sanitizer.ReasonPolicy, fmt.Errorf("action %s does not apply to PDF", job.Action))
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
	}
	return sanitizer.Withhold(sanitizer.ReasonMalformed, err)
}
