package office

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
	"github.com/mugai-project/mugai/sanitizer/verify"
)

// HandlerOptions configure the office handlers. The zero value disarms
// OOXML with the default rules and converts with LibreOffice found on
// PATH, but cannot flatten.
type HandlerOptions struct {
	Disarm  Options        // OOXML rules and limits
	Convert ConvertOptions // LibreOffice sandbox
	// Flattener renders converted PDFs (the renderer pool of
	// sanitizer/render). Without one, a document to be flattened is
	// withheld (with "both", only the disarmed copy is delivered).
	Flattener sanitizer.Flattener
	// Logger receives the handlers' remarks about the host, such as a
	// converter memory limit lowered to the process's own; default
	// slog.Default().
	Logger *slog.Logger
}

// Handlers returns the handlers for OOXML (disarm, flatten or both, by the
// job's action) and for the formats only LibreOffice reads — OLE2 .doc,
// .xls, .ppt, RTF and ODF — which are flattened.
func Handlers(opts HandlerOptions) map[detect.Kind]sanitizer.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	h := &handler{opts: opts}
	m := map[detect.Kind]sanitizer.Handler{}
	for _, k := range []detect.Kind{detect.DOCX, detect.DOCM, detect.XLSX, detect.XLSM, detect.PPTX, detect.PPTM} {
		m[k] = sanitizer.HandlerFunc(h.ooxml)
	}
	for _, k := range []detect.Kind{detect.OLE2, detect.RTF, detect.ODT, detect.ODS, detect.ODP} {
		m[k] = sanitizer.HandlerFunc(h.legacy)
	}
	return m
}

// Verifiers returns the independent checks for the OOXML output kinds,
// refusing every external relationship.
func Verifiers() map[detect.Kind]verify.Func {
	return VerifiersFor(HandlerOptions{})
}

// VerifiersFor returns the checks matching opts: with
// Disarm.KeepHyperlinks, plain web and mail links are accepted.
func VerifiersFor(opts HandlerOptions) map[detect.Kind]verify.Func {
	check := verify.Func(VerifyOOXML)
	if opts.Disarm.KeepHyperlinks {
		check = VerifyOOXMLLinks
	}
	return map[detect.Kind]verify.Func{
		detect.DOCX: verify.Kind(detect.DOCX, check),
		detect.XLSX: verify.Kind(detect.XLSX, check),
		detect.PPTX: verify.Kind(detect.PPTX, check),
	}
}

type handler struct {
	opts   HandlerOptions
	asOnce sync.Once // says once that the converter's RLIMIT_AS was lowered
}

// errNoRenderer flattens nothing: the handlers were given no Flattener.
var errNoRenderer = errors.New("office: no PDF renderer")

// plainKind is the output kind of a disarmed document.
func plainKind(k detect.Kind) detect.Kind {
	switch k {
	case detect.DOCX, detect.DOCM:
		return detect.DOCX
	case detect.XLSX, detect.XLSM:
		return detect.XLSX
	case detect.PPTX, detect.PPTM:
		return detect.PPTX
	}
	return ""
}

func (h *handler) ooxml(ctx context.Context, job *sanitizer.Job) error {
	switch job.Action {
	case sanitizer.Disarm, sanitizer.Flatten, sanitizer.Both:
	default:
		return sanitizer.Withhold(sanitizer.ReasonPolicy, fmt.Errorf("action %s does not apply to %s", job.Action, job.Kind))
	}
	kind := plainKind(job.Kind)
	// The flattened PDF is made from the disarmed package, so that
	// LibreOffice never sees macros, links or embedded objects; the
	// disarmed package is written straight into the converter's folder.
	var conv *conversion
	var w io.Writer = io.Discard
	var out *sanitizer.Output
	if job.Action != sanitizer.Flatten {
		out = job.Create("."+string(kind), kind)
		w = out
	}
	if job.Action != sanitizer.Disarm {
		var err error
		if conv, err = h.newConversion("." + string(kind)); err != nil {
			return err
		}
		defer conv.remove()
		w = io.MultiWriter(w, conv.in)
		if out == nil {
			w = conv.in
		}
	}
	res, err := Disarm(ctx, job.Input, job.Input.Size(), w, h.opts.Disarm)
	if err != nil {
		return disarmError(err)
	}
	if detect.Kind(res.Kind) != kind {
		return sanitizer.Withhold(sanitizer.ReasonMalformed, fmt.Errorf("main part is %s, detected %s", res.Kind, job.Kind))
	}
	for what, n := range res.Removed {
		job.Removed(what, n)
	}
	if res.Converted {
		job.Note(fmt.Sprintf("rebuilt as an ordinary %s document (macro-enabled, template or slide show formats are not delivered)", res.Kind))
	}
	if conv == nil {
		return nil
	}
	// With "both", the disarmed document alone is still worth delivering
	// when LibreOffice cannot make the PDF (before any PDF output exists).
	return h.flatten(ctx, job, conv, job.Action == sanitizer.Both)
}

// legacy flattens the formats without a disarm: LibreOffice converts
// them to PDF in its sandbox and the Flattener renders that PDF to images.
func (h *handler) legacy(ctx context.Context, job *sanitizer.Job) error {
	if job.Action != sanitizer.Flatten {
		return sanitizer.Withhold(sanitizer.ReasonPolicy, fmt.Errorf("action %s does not apply to %s (flatten only)", job.Action, job.Kind))
	}
	ext := "." + string(job.Kind)
	if job.Kind == detect.OLE2 {
		info, err := InspectOLE2(job.Input, job.Input.Size())
		switch {
		case err != nil:
			return sanitizer.Withhold(sanitizer.ReasonMalformed, err)
		case info.Encrypted:
			return sanitizer.HoldFor(sanitizer.ReasonEncrypted, errors.New("encrypted Office document"))
		case info.Ext == "":
			return sanitizer.Withhold(sanitizer.ReasonBlockedKind, errors.New("compound file is not a Word, Excel or PowerPoint document"))
		}
		if info.Macros {
			job.Removed("macro", 1)
		}
		ext = info.Ext
	}
	conv, err := h.newConversion(ext)
	if err != nil {
		return err
	}
	defer conv.remove()
	if _, err := io.Copy(conv.in, job.Input.Open()); err != nil {
		return sanitizer.Withhold(sanitizer.ReasonInternal, err)
	}
	return h.flatten(ctx, job, conv, false)
}

// conversion is one document on its way through LibreOffice: its work
// folder, with the input being written at in.
type conversion struct {
	work string
	in   *os.File
}

// newConversion makes the work folder and creates the input file in it,
// named with ext.
func (h *handler) newConversion(ext string) (*conversion, error) {
	work, input, err := newWork(h.opts.Convert.TempDir, ext)
	if err != nil {
		return nil, sanitizer.Withhold(sanitizer.ReasonInternal, err)
	}
	f, err := os.OpenFile(input, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		os.RemoveAll(work)
		return nil, sanitizer.Withhold(sanitizer.ReasonInternal, err)
	}
	return &conversion{work: work, in: f}, nil
}

func (c *conversion) remove() {
	c.in.Close()
	os.RemoveAll(c.work)
}

// flatten converts the document written to c under the sandbox and has
// the Flattener render it into the job's image-only PDF output. When
// optional, a failed conversion is only noted (the job has another
// output).
func (h *handler) flatten(ctx context.Context, job *sanitizer.Job, c *conversion, optional bool) error {
	if err := c.in.Close(); err != nil {
		return sanitizer.Withhold(sanitizer.ReasonInternal, err)
	}
	sb, err := newSandbox(h.opts.Convert, true)
	if err == nil {
		if as, lowered := sb.AddressSpace(); lowered {
			h.asOnce.Do(func() {
				h.opts.Logger.Warn("office: the converter's address-space limit is lowered to this process's hard limit (systemd LimitAS, a container or ulimit -v)",
					"wanted_bytes", sb.opts.MaxMemory, "limit_bytes", as)
			})
		}
	}
	if err == nil && h.opts.Flattener == nil {
		err = errNoRenderer
	}
	var pdfPath string
	if err == nil {
		pdfPath, err = sb.convert(ctx, c.work, c.in.Name())
	}
	if err != nil && optional && ctx.Err() == nil {
		job.Note("the PDF copy could not be made: " + err.Error())
		return nil
	}
	switch {
	case errors.Is(err, ErrUnavailable), errors.Is(err, errNoRenderer):
		return sanitizer.Withhold(sanitizer.ReasonNoHandler, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return sanitizer.Withhold(sanitizer.ReasonTimeout, err)
	case err != nil:
		return sanitizer.Withhold(sanitizer.ReasonMalformed, err)
	}
	f, err := os.Open(pdfPath)
	if err != nil {
		return sanitizer.Withhold(sanitizer.ReasonInternal, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return sanitizer.Withhold(sanitizer.ReasonInternal, err)
	}
	return h.opts.Flattener.FlattenPDF(ctx, job, f, fi.Size(), detect.WithExt(job.Name, ".pdf"), nil)
}

// disarmError maps Disarm's errors onto reasons.
func disarmError(err error) error {
	switch {
	case errors.Is(err, ErrLimit):
		return sanitizer.Withhold(sanitizer.ReasonLimit, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return sanitizer.Withhold(sanitizer.ReasonTimeout, err)
	}
	return sanitizer.Withhold(sanitizer.ReasonMalformed, err)
}
