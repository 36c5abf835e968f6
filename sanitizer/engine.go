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
package sanitizer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/mugai-project/mugai/internal/ids"
	"github.com/mugai-project/mugai/internal/spill"
	"github.com/mugai-project/mugai/sanitizer/detect"
	"github.com/mugai-project/mugai/sanitizer/verify"
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

// Options configure an Engine. The zero value is usable: default policy,
// temporary files in os.TempDir, the built-in handlers.
type Options struct {
	Policy   Policy
	TempDir  string       // spill folder for inputs and outputs
	CacheDir string       // compiled WebAssembly modules and font sandbox; default the user cache dir
	Logger   *slog.Logger // default slog.Default()
	// Handlers adds or replaces handlers per detected kind (office,
	// archive and mail handlers live in their own packages).
	Handlers map[detect.Kind]Handler
	// Verifiers adds independent output checks per output kind.
	Verifiers map[detect.Kind]verify.Func
	// Scanner, if set, scans every item (top-level and nested) for known
	// malware before it is acted on. An infected item is withheld; a scan
	// that fails withholds the item too.
	Scanner Scanner
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
	pdf       *pdfHandler
}

// New builds an Engine. Close releases the renderer pool.
func New(opts Options) (*Engine, error) {
	if err := opts.Policy.Check(); err != nil {
		return nil, err
	}
	e := &Engine{
		policy:    opts.Policy.WithDefaults(),
		tempDir:   opts.TempDir,
		log:       opts.Logger,
		handlers:  map[detect.Kind]Handler{},
		verifiers: verify.Defaults(),
		scanner:   opts.Scanner,
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	e.pdf = newPDFHandler(opts.CacheDir, e.log)
	if e.policy.PDF.Links == "keep" {
		// Disarmed PDFs keep their web links: the check lets /URI pass.
		e.verifiers[detect.PDF] = verify.Kind(detect.PDF, verify.PDFCheck(verify.PDFOptions{AllowURI: true}))
	}
	e.addBuiltins()
	for k, h := range opts.Handlers {
		e.handlers[k] = h
	}
	for k, v := range opts.Verifiers {
		e.verifiers[k] = v
	}
	return e, nil
}

// Close releases the renderer pool.
func (e *Engine) Close() error { return e.pdf.Close() }

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

// Job is the state of one item while a handler works on it.
type Job struct {
	Input   *spill.Buffer // the content; io.ReaderAt, Open for a reader
	Name    string        // declared name
	Kind    detect.Kind
	Charset string // for text kinds
	Action  Action
	Depth   int
	// Password is the one supplied with the Input, for encrypted content.
	Password string
	// RootID is the item ID of the top-level item this one is nested in
	// (its own ID at the top): the ID under which the original is kept.
	RootID string
	Policy *Policy
	Engine *Engine

	report  *Report
	outputs []*Output
}

// Create starts a new output named after the input with extension ext
// (".pdf") and of kind k. The handler writes to it; the engine verifies it.
func (j *Job) Create(ext string, k detect.Kind) *Output {
	return j.CreateNamed(detect.WithExt(j.Name, ext), k)
}

// CreateNamed starts a new output with an explicit file name.
func (j *Job) CreateNamed(name string, k detect.Kind) *Output {
	o := &Output{
		Name:      detect.CleanName(name),
		Kind:      k,
		MediaType: detect.MediaType(k),
		buf:       spill.New(spill.Options{Threshold: j.Policy.Limits.SpillThreshold, Dir: j.Engine.tempDir, Limit: j.Policy.Limits.MaxOutputBytes}),
	}
	j.outputs = append(j.outputs, o)
	return o
}

// ID is the item ID under which the original is kept: the top-level
// item's ID, for notices that tell people what to ask for.
func (j *Job) ID() string { return j.RootID }

// NewBuffer returns a buffer for a handler's intermediate data, spilling
// to the engine's temporary folder and bounded like an output. The
// handler closes it.
func (j *Job) NewBuffer() *spill.Buffer {
	return spill.New(spill.Options{Threshold: j.Policy.Limits.SpillThreshold, Dir: j.Engine.tempDir, Limit: j.Policy.Limits.MaxOutputBytes})
}

// Removed records that n things of one kind were taken out.
func (j *Job) Removed(what string, n int) {
	if n <= 0 {
		return
	}
	for i := range j.report.Removed {
		if j.report.Removed[i].What == what {
			j.report.Removed[i].Count += n
			return
		}
	}
	j.report.Removed = append(j.report.Removed, Removal{What: what, Count: n})
}

// Find records a finding.
func (j *Job) Find(code, detail string) {
	j.report.Findings = append(j.report.Findings, detect.Finding{Code: code, Detail: detail})
}

// Note records a remark for the report, such as "first frame only".
func (j *Job) Note(s string) { j.report.Notes = append(j.report.Notes, s) }

// Child sanitizes an item nested in this one (an archive entry, a mail
// part) one level deeper. Its report is attached to this one's children.
// The caller closes the child Result.
func (j *Job) Child(ctx context.Context, in Input) (*Result, error) {
	in.Depth = j.Depth + 1
	in.ID = ""
	ctx = context.WithValue(ctx, rootIDKey{}, j.RootID)
	if in.Password == "" {
		in.Password = j.Password
	}
	res, err := j.Engine.sanitize(ctx, in)
	if res != nil {
		j.report.Children = append(j.report.Children, res.Report)
	}
	return res, err
}

// Sanitize runs one item through the pipeline. The returned error is for
// the caller's own failures only (cancelled context before start, a
// temporary folder that cannot be written); everything about the item
// itself is in the Report, and a withheld item has no outputs.
func (e *Engine) Sanitize(ctx context.Context, in Input) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, e.policy.Limits.Timeout.Duration)
	defer cancel()
	return e.sanitize(ctx, in)
}

func (e *Engine) sanitize(ctx context.Context, in Input) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	start := time.Now()
	id := in.ID
	if id == "" {
		id = ids.New(start)
	}
	rootID, _ := ctx.Value(rootIDKey{}).(string)
	if rootID == "" {
		rootID = id
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

	orig := spill.New(spill.Options{Threshold: e.policy.Limits.SpillThreshold, Dir: e.tempDir, Limit: e.policy.Limits.MaxInputBytes})
	res.Original = orig
	_, err := io.Copy(orig, in.Body)
	rep.Size, rep.SHA256 = orig.Size(), orig.SHA256()
	switch {
	case errors.Is(err, spill.ErrTooLarge):
		// Keep what was read for the quarantine; the rest never arrived.
		e.withhold(res, Withhold(ReasonTooLarge, fmt.Errorf("over %d bytes", e.policy.Limits.MaxInputBytes)))
		return res, nil
	case err != nil:
		res.Close()
		return nil, fmt.Errorf("sanitizer: reading %q: %w", in.Name, err)
	}

	t := time.Now()
	det := detect.Detect(orig, orig.Size(), in.Name, in.DeclaredType)
	rep.Detected, rep.MediaType, rep.Charset = det.Kind, det.MediaType, string(det.Charset)
	rep.Findings = append(rep.Findings, det.Findings...)
	rep.Timings.Detect = ms(time.Since(t))

	if err := e.scan(ctx, rep, orig.Open()); err != nil {
		e.withhold(res, err)
		return res, nil
	}

	action := e.decide(det.Kind, in.Depth)
	rep.Action = action
	if action == Block || action == Hold {
		e.withhold(res, e.blockReason(det.Kind, in.Depth, action))
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
		Depth: in.Depth, Password: in.Password, RootID: rootID, Policy: &e.policy, Engine: e, report: rep,
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
			e.withhold(res, Withhold(ReasonVerify, fmt.Errorf("%s: %w", o.Name, verr)))
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

// decide applies the policy and the depth limit.
func (e *Engine) decide(k detect.Kind, depth int) Action {
	if depth > e.policy.Limits.MaxDepth {
		return Block
	}
	return e.policy.Decide(k)
}

func (e *Engine) blockReason(k detect.Kind, depth int, action Action) error {
	switch {
	case depth > e.policy.Limits.MaxDepth:
		return Withhold(ReasonDepth, fmt.Errorf("depth %d over %d", depth, e.policy.Limits.MaxDepth))
	case action == Hold:
		return HoldFor(ReasonPolicy, fmt.Errorf("%s is held by policy", k))
	case k == detect.Empty:
		return Withhold(ReasonEmpty, nil)
	case k == detect.Unknown:
		return Withhold(ReasonUnknown, nil)
	case k == detect.EXE || k == detect.ELF || k == detect.MachO || k == detect.Script || k == detect.LNK:
		return Withhold(ReasonExecutable, fmt.Errorf("%s", k))
	case e.policy.Actions[k] == Block:
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
			e.log.Error("sanitizer: handler panic", "kind", job.Kind, "name", job.Name, "panic", p, "stack", string(debug.Stack()))
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
	e.log.Info("sanitizer: withheld", "id", rep.ID, "name", rep.Name, "kind", rep.Detected, "reason", we.Reason.Code, "detail", we.Reason.Detail)
}

func discard(outs []*Output) {
	for _, o := range outs {
		o.buf.Close()
	}
}

// rootIDKey carries the top-level item ID to nested items.
type rootIDKey struct{}
