// Package pdf inspects and disarms PDF files for mugai's "disarm" action.
//
// Disarm parses a PDF with pdfcpu (github.com/pdfcpu/pdfcpu v0.15.0, relaxed
// mode, which repairs broken cross-reference tables), rebuilds its document
// catalog, page tree and annotations from allow-lists, removes everything in
// ISO 32000-1:2008 (PDF 1.7) and ISO 32000-2:2020 (PDF 2.0) that can act on
// open or on click, and writes a fresh file with pdfcpu: only the latest
// revision's objects that the rebuilt document still references are
// written, every non-image stream is decoded and re-encoded, and the result
// is parsed and validated again before it is returned.
//
// Removed (each counted by category in Removed):
//   - actions (§12.6.4) other than GoTo, the four standard Named actions and,
//     with Links "keep", URI: JavaScript (§12.6.4.16), Launch, SubmitForm,
//     ImportData, ResetForm, Hide, GoToR, GoToE, GoToDp, Thread, Sound,
//     Movie, Rendition, Trans, GoTo3DView, SetOCGState, RichMediaExecute;
//     action chains (/Next) are cut;
//   - /OpenAction (even a plain destination), /AA additional actions
//     of the document, pages, annotations and form fields (§12.6.3);
//   - the /JavaScript, /EmbeddedFiles, /AlternatePresentations, /Renditions,
//     /Templates, /IDS, /URLS and /AP name trees (§7.7.4), keeping /Dests;
//   - embedded files and file specifications (§7.11), associated files
//     (/AF, PDF 2.0 §14.13), portfolios (/Collection);
//   - annotations outside an allow-list (§12.5.6): FileAttachment, Sound,
//     Movie, Screen, RichMedia, 3D, Projection and unknown subtypes;
//   - XFA forms and the calculation order (/CO) of AcroForm (§12.7.2);
//   - PostScript XObjects (§8.8.2), external stream data (/F in a stream
//     dictionary, §7.3.8.2), and document-level leftovers such as /URI,
//     /Perms, /Threads, /StructTreeRoot, /Metadata, /PieceInfo;
//   - any key or name value that spells one of the names mugai's output
//     check refuses (/JavaScript, /JS, /AA, /Launch, /URI, ... see
//     dangerNames), wherever it stands.
//
// Refused (an error, so the engine withholds the file): a text string or a
// decoded content stream that spells one of those names (mugai does not
// rewrite text), a stream whose /Filter or /DecodeParms is an indirect
// reference (see prescan), filters other than the standard ones, streams
// that do not decode, and anything over Limits.
//
// Divergences: the logical structure tree (tagged PDF, §14.7) and XMP
// metadata are dropped rather than sanitized; form fields keep their values
// and appearances but lose every script; digital signatures no longer
// verify after the rewrite. Encrypted files that open with the empty user
// password are decrypted and written without encryption; files that need a
// password return an *EncryptedError (errors.Is ErrEncrypted) so that the
// engine holds them.
//
// Handlers gives the engine its PDF handler, which by the policy's action
// inspects and disarms a PDF, or hands it as it came to the Flattener: on
// the flatten path nothing of this package (nor pdfcpu) reads the input in
// mugai's process; PDFium in its WebAssembly sandbox decides and renders,
// and Inspect, run in the disarm's sandbox beside it, adds to the report
// what PDFium cannot see (flatten.go). It
// lives here, beside the disarm it chooses against, rather than in
// sanitizer/render: rendering is a service that the office handlers need
// as much as this one, so the composition root builds one renderer pool
// and hands it to both as a sanitizer.Flattener, and this package never
// starts a WebAssembly runtime of its own.
package pdf

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	pdfcpu "github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/validate"
)

// Limits bound the work done on one PDF. The zero value means the
// defaults noted beside each field.
type Limits struct {
	MaxBytes       int64 // input size; default 256 MiB
	MaxObjects     int   // objects in the cross-reference table; default 500,000
	MaxPages       int   // pages; default 5,000
	MaxStreamBytes int64 // one decoded stream; default 256 MiB
	// Password opens a document encrypted with a user password (a PDF
	// sent with its password in a second mail). Empty tries the empty
	// password only.
	Password string
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = 256 << 20
	}
	if l.MaxObjects <= 0 {
		l.MaxObjects = 500_000
	}
	if l.MaxPages <= 0 {
		l.MaxPages = 5_000
	}
	if l.MaxStreamBytes <= 0 {
		l.MaxStreamBytes = 256 << 20
	}
	return l
}

// Link policies for DisarmOptions.Links.
const (
	LinksRemove = "remove"
	LinksKeep   = "keep"
)

// DisarmOptions configure Disarm. The zero value removes URI links and
// uses the default Limits.
type DisarmOptions struct {
	// Links is LinksKeep to keep URI link actions, LinksRemove (the
	// default, also for "") to remove them.
	Links  string
	Limits Limits
}

func (o DisarmOptions) withDefaults() (DisarmOptions, error) {
	switch o.Links {
	case "":
		o.Links = LinksRemove
	case LinksKeep, LinksRemove:
	default:
		return o, fmt.Errorf("pdf: links policy must be %q or %q, not %q", LinksKeep, LinksRemove, o.Links)
	}
	o.Limits = o.Limits.withDefaults()
	return o, nil
}

// Removed counts what Disarm removed (or what Inspect found), by category:
// "javascript", "openaction", "additional-actions", "launch",
// "submitform", "importdata", "resetform", "gotor", "gotoe", "uri",
// "embedded-file", "file-attachment", "richmedia", "sound", "movie",
// "rendition", "screen", "3d", "xfa", "calculation-order", "postscript",
// "external-stream", "alternate-presentation", "action" (other actions)
// and "annotation" (other disallowed annotations).
type Removed map[string]int

func (r Removed) add(category string, n int) {
	if n > 0 {
		r[category] += n
	}
}

// Categories returns the categories present, sorted.
func (r Removed) Categories() []string {
	cs := make([]string, 0, len(r))
	for c, n := range r {
		if n > 0 {
			cs = append(cs, c)
		}
	}
	sort.Strings(cs)
	return cs
}

// ErrEncrypted matches (errors.Is) every *EncryptedError.
var ErrEncrypted = errors.New("pdf: encrypted")

// EncryptedError reports a PDF that cannot be opened without a secret.
type EncryptedError struct {
	// UserPassword is true when a document open (user) password is
	// needed; false for security handlers mugai cannot open at all
	// (public-key, unsupported algorithms).
	UserPassword bool
	Err          error
}

func (e *EncryptedError) Error() string {
	if e.UserPassword {
		return "pdf: encrypted, a user password is needed to open it"
	}
	return fmt.Sprintf("pdf: encrypted with an unsupported security handler: %v", e.Err)
}

// Is makes errors.Is(err, ErrEncrypted) true.
func (e *EncryptedError) Is(target error) bool { return target == ErrEncrypted }

// Unwrap returns pdfcpu's error.
func (e *EncryptedError) Unwrap() error { return e.Err }

// ErrLimit matches (errors.Is) errors from a Limits bound.
var ErrLimit = errors.New("pdf: limit exceeded")

// PageSize is a page's visible size in its user space units: the CropBox
// (default MediaBox, §14.11.2) with /Rotate applied. Unit is the page's
// /UserUnit (§7.7.3.3, table 30, PDF 1.6), the size of one unit in points
// (1/72 inch): 1 when the page has none, or one that is not a positive
// number.
type PageSize struct {
	Width, Height float64
	Unit          float64
}

// Finding is one category of active content and how often it occurs.
type Finding struct {
	Category string
	Count    int
}

// Info describes a PDF.
type Info struct {
	Version   string // header or catalog version, e.g. "1.7"
	Pages     int
	Encrypted bool // encrypted, but opens with the empty user password
	PageSizes []PageSize
	// Findings lists active content by category, sorted: what Disarm
	// would remove with links removed.
	Findings []Finding
}

// Has reports whether category is among the findings.
func (i Info) Has(category string) bool {
	for _, f := range i.Findings {
		if f.Category == category {
			return f.Count > 0
		}
	}
	return false
}

// Inspect parses the PDF in r and describes it, without writing anything.
func Inspect(ctx context.Context, r io.ReadSeeker, lim Limits) (Info, error) {
	lim = lim.withDefaults()
	pc, err := read(ctx, r, lim)
	if err != nil {
		return Info{}, err
	}
	info := Info{Version: pc.VersionString(), Encrypted: pc.Encrypt != nil}
	pages, err := pageLeaves(pc.XRefTable, lim.MaxPages)
	if err != nil {
		return Info{}, err
	}
	info.Pages = len(pages)
	for _, p := range pages {
		info.PageSizes = append(info.PageSizes, p.size(pc.XRefTable))
	}
	d := newDisarmer(ctx, pc.XRefTable, DisarmOptions{Links: LinksRemove, Limits: lim})
	d.dryRun = true
	if err := d.run(); err != nil {
		return Info{}, err
	}
	for _, c := range d.removed.Categories() {
		info.Findings = append(info.Findings, Finding{Category: c, Count: d.removed[c]})
	}
	return info, nil
}

// Disarm rewrites the PDF in r to w without active content and returns
// what it removed. Nothing is written to w unless the whole rewrite and
// its validation succeed.
func Disarm(ctx context.Context, r io.ReadSeeker, w io.Writer, opts DisarmOptions) (Removed, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	lim := opts.Limits
	pc, err := read(ctx, r, lim)
	if err != nil {
		return nil, err
	}
	in, err := pageLeaves(pc.XRefTable, lim.MaxPages)
	if err != nil {
		return nil, err
	}
	if len(in) == 0 {
		return nil, errors.New("pdf: document has no pages")
	}
	d := newDisarmer(ctx, pc.XRefTable, opts)
	if err := d.run(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := write(pc, &out); err != nil {
		return nil, err
	}
	pc = nil // let the input's objects go before the output is parsed
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n, err := validateOutput(ctx, out.Bytes(), lim)
	if err != nil {
		return nil, fmt.Errorf("pdf: rewritten file does not validate: %w", err)
	}
	if n != len(in) {
		return nil, fmt.Errorf("pdf: rewritten file has %d pages, input has %d", n, len(in))
	}
	if _, err := io.Copy(w, &out); err != nil {
		return nil, err
	}
	return d.removed, nil
}

// config returns the pdfcpu configuration mugai uses. It is built here
// rather than with model.NewDefaultConfiguration.
//
// QUIRK: model.NewDefaultConfiguration reads and writes a config directory
// under the user's config dir (model/configuration.go:560) unless the
// package global model.ConfigPath is "disable"; mugai sets no globals.
func config(lim Limits) *model.Configuration {
	l := model.DefaultResourceLimits()
	l.MaxStreamBytes = min(l.MaxStreamBytes, lim.MaxBytes)
	l.MaxDecodeBytes = lim.MaxStreamBytes
	l.MaxObjectCount = lim.MaxObjects
	l.MaxXRefEntries = lim.MaxObjects
	l.MaxObjectStreamCount = min(l.MaxObjectStreamCount, lim.MaxObjects)
	return &model.Configuration{
		Reader15:                  true,
		ValidationMode:            model.ValidationRelaxed,
		UnsupportedResourcePolicy: model.UnsupportedResourceSkip,
		Eol:                       types.EolLF,
		WriteObjectStream:         true,
		WriteXRefStream:           true,
		Offline:                   true,
		Cmd:                       model.VALIDATE,
		Limits:                    l,
		UserPW:                    lim.Password,
		OwnerPW:                   lim.Password,
		TimestampFormat:           "2006-01-02 15:04",
		DateFormat:                "2006-01-02",
	}
}

// guard runs f and turns a panic inside pdfcpu into an error.
//
// QUIRK: pdfcpu signals some failures by panicking (fault.Fail,
// model/configuration.go:576), recovered only by fault.Catch in its api
// package, which re-panics anything else (fault/fault.go:51); mugai calls
// the lower layers, so it recovers here and fails closed on input the
// parser's authors did not foresee. This is a boundary to a third-party
// parser, not control flow. (A fatal stack overflow cannot be recovered:
// see prescan.)
func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("pdf: parser failure: %v", r)
		}
	}()
	return f()
}

func inputSize(r io.ReadSeeker) (int64, error) {
	n, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	return n, nil
}

func read(ctx context.Context, r io.ReadSeeker, lim Limits) (*model.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	size, err := inputSize(r)
	if err != nil {
		return nil, err
	}
	if size > lim.MaxBytes {
		return nil, fmt.Errorf("%w: input is %d bytes, limit %d", ErrLimit, size, lim.MaxBytes)
	}
	if err := prescan(ctx, r); err != nil {
		return nil, err
	}
	var pc *model.Context
	err = guard(func() error {
		var err error
		pc, err = pdfcpu.ReadWithContext(ctx, r, config(lim))
		return err
	})
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		if errors.Is(err, pdfcpu.ErrWrongPassword) {
			return nil, &EncryptedError{UserPassword: true, Err: err}
		}
		// QUIRK: pdfcpu has no sentinel for an unsupported security
		// handler; its errors from checkForEncryption are wrapped with
		// "encryption" (pkg/pdfcpu/read.go:3641-3685).
		if strings.Contains(err.Error(), "encryption") {
			return nil, &EncryptedError{Err: err}
		}
		return nil, fmt.Errorf("pdf: parse: %w", err)
	}
	if len(pc.Table) > lim.MaxObjects {
		return nil, fmt.Errorf("%w: %d objects, limit %d", ErrLimit, len(pc.Table), lim.MaxObjects)
	}
	// QUIRK: pdfcpu caches the catalog in XRefTable.RootDict when it
	// first meets it (model/xreftable.go:1088); after a cross-reference
	// repair the table can hold another object under the root's number,
	// and the writer writes the table's. mugai rebuilds the table's.
	if pc.Root == nil {
		return nil, errors.New("pdf: trailer has no /Root")
	}
	var root types.Object
	if err := guard(func() error {
		var err error
		root, err = pc.Dereference(*pc.Root)
		return err
	}); err != nil {
		return nil, fmt.Errorf("pdf: document catalog: %w", err)
	}
	rd, ok := root.(types.Dict)
	if !ok {
		return nil, errors.New("pdf: document catalog is not a dictionary")
	}
	pc.RootDict = rd
	return pc, nil
}

func write(pc *model.Context, w *bytes.Buffer) error {
	return guard(func() error {
		if pc.Write == nil {
			pc.ResetWriteContext()
		}
		bw := bufio.NewWriter(w)
		pc.Write.Writer = bw
		if err := pdfcpu.WriteContext(pc); err != nil {
			return fmt.Errorf("pdf: write: %w", err)
		}
		return bw.Flush()
	})
}

// validateOutput parses the rewritten file again, validates it with pdfcpu
// (relaxed, as the input may have carried tolerated oddities) and returns
// its page count.
func validateOutput(ctx context.Context, b []byte, lim Limits) (int, error) {
	pc, err := read(ctx, bytes.NewReader(b), lim)
	if err != nil {
		return 0, err
	}
	if pc.Encrypt != nil {
		return 0, errors.New("output is encrypted")
	}
	if err := guard(func() error { return validate.XRefTable(pc) }); err != nil {
		return 0, err
	}
	pages, err := pageLeaves(pc.XRefTable, lim.MaxPages)
	if err != nil {
		return 0, err
	}
	return len(pages), nil
}
