// Package sanitizer is mugai's 無害化 pipeline. One Engine runs every item
// through five steps:
//
//	detect  what the content is (sanitizer/detect), never trusting names
//	decide  the action for that kind from the Policy
//	act     a Handler rebuilds the item (PDF, image, text, …)
//	verify  a second, independent check of every output (sanitizer/verify)
//	report  the per-item Report, as JSON and in words
//
// Any error, limit, timeout, panic or failed check withholds the item:
// nothing the engine did not build itself is ever returned (fail closed).
// Inputs are held once, in memory up to a threshold and on disk above it.
//
// This package is the pipeline's contract only and knows no format: each
// format package (sanitizer/pdf, image, text, office, archive, mail) gives
// its Handlers and Verifiers, and the composition root (internal/app)
// hands them to New together with the one PDF renderer that the PDF and
// office handlers share as a Flattener. A kind without a handler, or an
// output kind without a verifier, is withheld. Items nested in another
// (Job.Child) belong to its Tree, which carries what they share: the
// top-level item's ID and tree-wide allowances.
package sanitizer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mugai-project/mugai/internal/ids"
	"github.com/mugai-project/mugai/internal/spill"
	"github.com/mugai-project/mugai/sanitizer/detect"
	"github.com/mugai-project/mugai/sanitizer/verify"
)

// Options configure an Engine. The zero value is usable: default policy,
// temporary files in os.TempDir, no handlers (every item is withheld).
type Options struct {
	Policy  Policy
	TempDir string       // spill folder for inputs and outputs
	Logger  *slog.Logger // default slog.Default()
	// Handlers act on each detected kind. Every format package offers
	// its own (pdf.Handlers, image.Handlers, office.Handlers, …); a kind
	// without a handler is withheld.
	Handlers map[detect.Kind]Handler
	// Verifiers are the independent output checks per output kind, from
	// the same packages' Verifiers. An output of a kind without one is
	// withheld.
	Verifiers map[detect.Kind]verify.Func
	// Scanner, if set, scans every item (top-level and nested) for known
	// malware before it is acted on. An infected item is withheld; a scan
	// that fails withholds the item too.
	Scanner Scanner
	// Registerer, if set, receives the engine's metrics:
	// mugai_sanitize_items_total{kind,action},
	// mugai_sanitize_withheld_total{reason} and
	// mugai_sanitize_duration_seconds.
	Registerer prometheus.Registerer
	// Closers are handed to the engine with the handlers that use them
	// (the renderer pool) and released by Close, so that the owner of
	// the engine has one thing to close.
	Closers []io.Closer
}

// Scanner is an antivirus engine, such as clamd.
type Scanner interface {
	// Scan reads the content from r and names the signature it matched,
	// or returns "" for clean content.
	Scan(ctx context.Context, r io.Reader) (signature string, err error)
}

// Engine sanitizes items. It is safe for concurrent use.
type Engine struct {
	policy    Policy
	tempDir   string
	log       *slog.Logger
	handlers  map[detect.Kind]Handler
	verifiers map[detect.Kind]verify.Func
	scanner   Scanner
	metrics   *metrics
	closers   []io.Closer
}

// New builds an Engine. Close releases opts.Closers.
func New(opts Options) (*Engine, error) {
	if err := opts.Policy.Check(); err != nil {
		return nil, err
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("sanitizer: metrics: %w", err)
	}
	e := &Engine{
		policy:    opts.Policy.WithDefaults(),
		tempDir:   opts.TempDir,
		log:       opts.Logger,
		handlers:  maps.Clone(opts.Handlers),
		verifiers: maps.Clone(opts.Verifiers),
		scanner:   opts.Scanner,
		metrics:   m,
		closers:   opts.Closers,
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	return e, nil
}

// Close releases what the engine was handed in Options.Closers. Items
// still running finish first where a closer waits for them (the renderer
// pool does).
func (e *Engine) Close() error {
	var errs []error
	for _, c := range e.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// Policy returns the engine's policy with defaults filled in.
func (e *Engine) Policy() Policy { return e.policy }

// Input is one item to sanitize.
type Input struct {
	Name         string    // declared file name, as the sender gave it
	DeclaredType string    // declared media type, if any
	Body         io.Reader // the content
	Depth        int       // nesting level: 0 for a top-level item
	// Password unlocks a held encrypted item (PPAP) when it is run again.
	Password string
	// ID, if set, becomes the report's item ID, so that a front door can
	// name the item (and its quarantined original) before it is sanitized.
	ID string
	// Kind, if set, is what the front door knows a top-level item to be,
	// whatever the sniffer says: only detect.EML, for mail received over
	// SMTP (see claim). Never set it from what a sender declared.
	Kind detect.Kind
	// Policy, if set, replaces the engine's policy for this item and
	// everything nested in it (a department's or recipient domain's
	// policy). It is used as given: fill in its defaults first
	// (Policy.WithDefaults). The verifiers stay the engine's.
	Policy *Policy
}

// Result holds the outputs and report of one item. Close removes the
// outputs' and original's temporary files.
type Result struct {
	Report   *Report
	Outputs  []*Output
	Original *spill.Buffer // the input as received, for the quarantine; never an output
}

// Close releases the buffers.
func (r *Result) Close() error {
	var errs []error
	for _, o := range r.Outputs {
		errs = append(errs, o.buf.Close())
	}
	if r.Original != nil {
		errs = append(errs, r.Original.Close())
	}
	return errors.Join(errs...)
}

// Output is one file the engine built.
type Output struct {
	Name      string
	Kind      detect.Kind
	MediaType string
	buf       *spill.Buffer
}

// Write appends to the output while a handler builds it.
func (o *Output) Write(p []byte) (int, error) { return o.buf.Write(p) }

// Size is the output's length in bytes.
func (o *Output) Size() int64 { return o.buf.Size() }

// SHA256 is the hex SHA-256 of the output.
func (o *Output) SHA256() string { return o.buf.SHA256() }

// Open returns a reader over the output, valid until the Result is closed.
func (o *Output) Open() *io.SectionReader { return o.buf.Open() }

// Sanitize runs one item through the pipeline. The returned error is for
// the caller's own failures only (cancelled context before start, a
// temporary folder that cannot be written); everything about the item
// itself is in the Report, and a withheld item has no outputs.
func (e *Engine) Sanitize(ctx context.Context, in Input) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, e.policyOf(in).Limits.Timeout.Duration)
	defer cancel()
	start := time.Now()
	res, err := e.sanitize(ctx, in, nil)
	if res != nil {
		e.metrics.top(time.Since(start))
	}
	return res, err
}

// sanitize runs one item of tree and counts it; a nil tree starts a new
// one with the item at its top.
func (e *Engine) sanitize(ctx context.Context, in Input, tree *Tree) (*Result, error) {
	res, err := e.run(ctx, in, tree)
	if res != nil {
		e.metrics.item(res.Report)
	}
	return res, err
}

// run is the pipeline for one item: detect, decide, act, verify, report.
func (e *Engine) run(ctx context.Context, in Input, tree *Tree) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	start := time.Now()
	id := in.ID
	if id == "" {
		id = ids.New(start)
	}
	if tree == nil {
		tree = &Tree{ID: id}
	}
	rep := &Report{
		ID:           id,
		Name:         in.Name,
		DeclaredType: in.DeclaredType,
		Depth:        in.Depth,
		Started:      start.UTC(),
	}
	res := &Result{Report: rep}
	defer func() { rep.Timings.Total = ms(time.Since(start)) }()

	p := e.policyOf(in)
	orig := spill.New(spill.Options{Threshold: p.Limits.SpillThreshold, Dir: e.tempDir, Limit: p.Limits.MaxInputBytes})
	res.Original = orig
	_, err := io.Copy(orig, in.Body)
	rep.Size, rep.SHA256 = orig.Size(), orig.SHA256()
	switch {
	case errors.Is(err, spill.ErrTooLarge):
		// Keep what was read for the quarantine; the rest never arrived.
		e.withhold(res, Withhold(ReasonTooLarge, fmt.Errorf("over %d bytes", p.Limits.MaxInputBytes)))
		return res, nil
	case err != nil:
		res.Close()
		return nil, fmt.Errorf("sanitizer: reading %q: %w", in.Name, err)
	}

	t := time.Now()
	det := detect.Detect(orig, orig.Size(), in.Name, in.DeclaredType)
	if err := claim(in.Kind, &det); err != nil {
		res.Close()
		return nil, err
	}
	rep.Detected, rep.MediaType, rep.Charset = det.Kind, det.MediaType, string(det.Charset)
	rep.Findings = append(rep.Findings, det.Findings...)
	rep.Timings.Detect = ms(time.Since(t))

	scanErr := e.scan(ctx, rep, orig.Open())
	if scanErr != nil {
		e.withhold(res, scanErr)
	}
	if det.Kind == detect.EICAR {
		// Known without a scanner; with one, beside the scanner's verdict.
		e.withhold(res, Withhold(ReasonMalwareTest, errors.New("the EICAR test file")))
		return res, nil
	}
	if scanErr != nil {
		return res, nil
	}

	action := decide(p, det.Kind, in.Depth)
	rep.Action = action
	if action == Block || action == Hold {
		e.withhold(res, blockReason(p, det.Kind, in.Depth, action))
		return res, nil
	}
	h, ok := e.handlers[det.Kind]
	if !ok {
		e.withhold(res, Withhold(ReasonNoHandler, fmt.Errorf("no handler for %s", det.Kind)))
		return res, nil
	}

	t = time.Now()
	job := &Job{
		Input: orig, Name: in.Name, Kind: det.Kind, Charset: string(det.Charset), Action: action,
		Depth: in.Depth, Password: in.Password, Policy: p, Tree: tree, eng: e, report: rep,
	}
	err = e.act(ctx, h, job)
	rep.Timings.Act = ms(time.Since(t))
	if err == nil && len(job.outputs) == 0 {
		err = Withhold(ReasonInternal, errors.New("the handler produced no output"))
	}
	if err != nil {
		discard(job.outputs)
		e.withhold(res, err)
		return res, nil
	}

	t = time.Now()
	for _, o := range job.outputs {
		if verr := e.verify(ctx, o); verr != nil {
			discard(job.outputs)
			code := ReasonVerify
			if errors.Is(verr, verify.ErrEICAR) {
				// A rewrite made the test string readable (UTF-16 text,
				// HTML, a mail body that pastes it).
				code = ReasonMalwareTest
				rep.Findings = append(rep.Findings, detect.Finding{Code: detect.FindingEICAR, Detail: o.Name + " holds the EICAR test string"})
			}
			e.withhold(res, Withhold(code, fmt.Errorf("%s: %w", o.Name, verr)))
			return res, nil
		}
		// Outputs are scanned too: rewriting can turn what the scanner
		// could not see (a UTF-16 test string) into what it knows.
		if werr := e.scan(ctx, rep, o.Open()); werr != nil {
			discard(job.outputs)
			e.withhold(res, werr)
			return res, nil
		}
	}
	rep.Timings.Verify = ms(time.Since(t))
	res.Outputs = job.outputs
	for _, o := range job.outputs {
		rep.Outputs = append(rep.Outputs, OutputInfo{Name: o.Name, Kind: o.Kind, MediaType: o.MediaType, Size: o.Size(), SHA256: o.SHA256()})
	}
	return res, nil
}

// policyOf is the policy for in: its own, or the engine's.
func (e *Engine) policyOf(in Input) *Policy {
	if in.Policy != nil {
		return in.Policy
	}
	return &e.policy
}

// decide applies the policy p and the depth limit.
func decide(p *Policy, k detect.Kind, depth int) Action {
	if depth > p.Limits.MaxDepth {
		return Block
	}
	return p.Decide(k)
}

func blockReason(p *Policy, k detect.Kind, depth int, action Action) error {
	switch {
	case depth > p.Limits.MaxDepth:
		return Withhold(ReasonDepth, fmt.Errorf("depth %d over %d", depth, p.Limits.MaxDepth))
	case action == Hold:
		return HoldFor(ReasonPolicy, fmt.Errorf("%s is held by policy", k))
	case k == detect.Empty:
		return Withhold(ReasonEmpty, nil)
	case k == detect.Unknown:
		return Withhold(ReasonUnknown, nil)
	case k == detect.EXE || k == detect.ELF || k == detect.MachO || k == detect.Script || k == detect.LNK:
		return Withhold(ReasonExecutable, fmt.Errorf("%s", k))
	case p.Actions[k] == Block:
		return Withhold(ReasonPolicy, fmt.Errorf("%s is blocked by policy", k))
	case k == detect.SevenZ || k == detect.RAR || k == detect.LZH || k == detect.CAB || k == detect.ISO:
		return Withhold(ReasonArchiveKind, fmt.Errorf("%s archives are not opened", k))
	case k == detect.SVG:
		// There is no SVG renderer inside the sandbox, and SVG is XML that
		// carries scripts, event handlers and external references.
		return Withhold(ReasonActive, errors.New("SVG is not rendered: it can carry scripts and external references"))
	case k == detect.XML:
		return Withhold(ReasonActive, errors.New("XML can carry external entities and stylesheets"))
	}
	return Withhold(ReasonBlockedKind, fmt.Errorf("%s", k))
}

// act runs the handler, turning a panic into a withheld item and a
// deadline into a timeout.
func (e *Engine) act(ctx context.Context, h Handler, job *Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			e.log.Error("sanitizer: handler panic", "item_id", job.report.ID, "kind", job.Kind, "name", job.Name, "panic", p, "stack", string(debug.Stack()))
			err = Withhold(ReasonInternal, fmt.Errorf("panic: %v", p))
		}
	}()
	err = h.Act(ctx, job)
	if err != nil && ctx.Err() != nil {
		return Withhold(ReasonTimeout, ctx.Err())
	}
	return err
}

// scan runs the scanner, if there is one, over r; it returns the
// *WithheldError for an infected or unscannable item.
func (e *Engine) scan(ctx context.Context, rep *Report, r io.Reader) error {
	if e.scanner == nil {
		return nil
	}
	t := time.Now()
	sig, err := e.scanner.Scan(ctx, r)
	rep.Timings.Scan += ms(time.Since(t))
	switch {
	case err != nil:
		return Withhold(ReasonScanFailed, err)
	case sig != "":
		rep.Findings = append(rep.Findings, detect.Finding{Code: FindingMalware, Detail: sig})
		return Withhold(ReasonMalware, fmt.Errorf("signature %s", sig))
	}
	return nil
}

func (e *Engine) verify(ctx context.Context, o *Output) error {
	v, ok := e.verifiers[o.Kind]
	if !ok {
		return fmt.Errorf("verify: %s is not an allowed output kind", o.Kind)
	}
	return v(ctx, o.Open(), o.Size())
}

// withhold records err as the reason the item gets no output.
func (e *Engine) withhold(res *Result, err error) {
	rep := res.Report
	rep.Withheld = true
	var we *WithheldError
	if !errors.As(err, &we) {
		we = Withhold(ReasonMalformed, err).(*WithheldError)
	}
	if we.Hold {
		rep.Action = Hold
	} else if rep.Action != Hold {
		rep.Action = Block
	}
	rep.Reasons = append(rep.Reasons, we.Reason)
	e.log.Info("sanitizer: withheld", "item_id", rep.ID, "name", rep.Name, "kind", rep.Detected, "reason", we.Reason.Code, "detail", we.Reason.Detail)
}

func discard(outs []*Output) {
	for _, o := range outs {
		o.buf.Close()
	}
}
