package verify

// The PDF check. It shares no code with sanitizer/pdf: it parses with
// pdfcpu's reader only, walks every object of the cross-reference table
// (ISO 32000-1 §7.5.4, §7.5.8) including those inside object streams
// (§7.5.7), decodes every stream itself with pdfcpu's filters (§7.4), and
// scans the bytes of the whole file and of every decoded stream for
// dangerous names in any spelling (§7.3.5: #xx escapes are normalized
// before matching). Names of three letters or fewer (/JS, /AA, /URI,
// /XFA) are looked for in stream data only where it is PDF syntax, as
// random compressed or image bytes spell them about once in 2^28 bytes;
// longer names are looked for everywhere.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/filter"
	pdfcpu "github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/validate"
)

// PDFOptions configure the PDF check. The zero value refuses URI actions
// and uses the default limits.
type PDFOptions struct {
	// AllowURI accepts /URI (link actions and the catalog's base URI),
	// for outputs made with the links policy "keep".
	AllowURI bool
	// Flattened also requires every page to be in the shape mugai's
	// flattener writes: one image, and at most an invisible text layer in
	// a glyphless font (flatpdf.go).
	Flattened bool
	// MaxBytes bounds the file; default 512 MiB.
	MaxBytes int64
	// MaxStreamBytes bounds one decoded stream; default 256 MiB.
	MaxStreamBytes int64
}

func (o PDFOptions) withDefaults() PDFOptions {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 512 << 20
	}
	if o.MaxStreamBytes <= 0 {
		o.MaxStreamBytes = 256 << 20
	}
	return o
}

// PDFFindings is what the PDF check looked at and what it found.
type PDFFindings struct {
	Objects  int      // objects in the cross-reference table, walked
	Streams  int      // streams decoded and scanned
	Problems []string // each names an object or offset and what is there
}

// PDFError is the error of a failed PDF check.
type PDFError struct{ Findings *PDFFindings }

func (e *PDFError) Error() string {
	p := e.Findings.Problems
	s := "verify: pdf " + strings.Join(p[:min(len(p), 5)], "; ")
	if len(p) > 5 {
		s += fmt.Sprintf(" (and %d more)", len(p)-5)
	}
	return s
}

// PDF checks a PDF output with the zero PDFOptions.
func PDF(ctx context.Context, r io.ReadSeeker, size int64) (*PDFFindings, error) {
	return PDFOptions{}.Check(ctx, r, size)
}

// Dangerous names (§12.6 actions, §12.5.6 annotations, §7.11 files,
// §12.7.8 XFA), matched after #xx normalization. The short ones are also
// matched inside binary stream data, where a few random bytes can spell
// them, only when they appear in PDF syntax (see rawHit).
var pdfDangerNames = map[string]bool{
	"JavaScript": true, "JS": true, "OpenAction": true, "AA": true,
	"Launch": true, "SubmitForm": true, "ImportData": true, "GoToR": true,
	"GoToE": true, "GoToDp": true, "RichMedia": true, "RichMediaExecute": true,
	"EmbeddedFile": true, "EmbeddedFiles": true, "FileAttachment": true,
	"XFA": true, "URI": true, "Encrypt": true, "Rendition": true,
	"Movie": true, "Sound": true,
}

// pdfShortName: names of at most this length are not searched for in the
// bytes of binary streams (images, fonts, compressed data).
const pdfShortName = 3

// Check runs the PDF check on size bytes read through r.
func (o PDFOptions) Check(ctx context.Context, r io.ReadSeeker, size int64) (*PDFFindings, error) {
	o = o.withDefaults()
	c := &pdfChecker{ctx: ctx, opts: o, f: &PDFFindings{}}
	if err := c.check(r, size); err != nil {
		return c.f, err
	}
	if len(c.f.Problems) > 0 {
		return c.f, &PDFError{Findings: c.f}
	}
	return c.f, nil
}

type pdfChecker struct {
	ctx  context.Context
	opts PDFOptions
	f    *PDFFindings
}

func (c *pdfChecker) problem(format string, args ...any) {
	if len(c.f.Problems) < 100 {
		c.f.Problems = append(c.f.Problems, fmt.Sprintf(format, args...))
	}
}

func (c *pdfChecker) danger(name string) bool {
	return pdfDangerNames[name] && !(c.opts.AllowURI && name == "URI")
}

func (c *pdfChecker) check(r io.ReadSeeker, size int64) (err error) {
	if size <= 0 {
		return errors.New("verify: pdf is empty")
	}
	if size > c.opts.MaxBytes {
		return fmt.Errorf("verify: pdf of %d bytes is above the limit of %d", size, c.opts.MaxBytes)
	}
	// QUIRK: pdfcpu panics on some malformed input (and fault.Fail panics
	// are recovered only in its api package); a panic fails the check.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("verify: pdf parser failure: %v", p)
		}
	}()
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	raw, err := pdfScanNames(c.ctx, bufio.NewReaderSize(io.LimitReader(r, size), 64<<10))
	if err != nil {
		return err
	}
	// QUIRK: pdfcpu resolves a reference in /Filter or /DecodeParms while
	// parsing the stream that holds it (pkg/pdfcpu/read.go:2331); a cycle
	// recurses until the Go runtime kills the process (fatal stack
	// overflow, not a recoverable panic). Such a file is refused unparsed.
	if raw.filterRef {
		return errors.New("verify: pdf has a /Filter or /DecodeParms given by reference")
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	conf := &model.Configuration{
		Reader15:       true,
		ValidationMode: model.ValidationStrict,
		Eol:            types.EolLF,
		Offline:        true,
		Cmd:            model.VALIDATE,
		Limits:         model.DefaultResourceLimits(),
	}
	conf.Limits.MaxDecodeBytes = c.opts.MaxStreamBytes
	pc, err := pdfcpu.ReadWithContext(c.ctx, io.NewSectionReader(pdfReaderAt{r}, 0, size), conf)
	if err != nil {
		return fmt.Errorf("verify: pdf does not parse: %w", err)
	}
	if pc.Encrypt != nil || pc.E != nil {
		c.problem("trailer: /Encrypt (encrypted output)")
	}
	nums := make([]int, 0, len(pc.Table))
	for n := range pc.Table {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for _, n := range nums {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		e := pc.Table[n]
		if e == nil || e.Free {
			continue
		}
		c.f.Objects++
		o := e.Object
		if l, ok := o.(types.LazyObjectStreamObject); ok {
			d, err := l.DecodedObject(c.ctx)
			if err != nil {
				return fmt.Errorf("verify: pdf object %d in object stream: %w", n, err)
			}
			o = d
		}
		if err := c.object(n, o); err != nil {
			return err
		}
	}
	// Validation runs after the walk so that a file with active content
	// is refused naming it, even when it is also invalid.
	// Parsing was strict (no repair of the cross-reference table: mugai's
	// own outputs have a correct one); validation is relaxed, as strict
	// mode refuses common harmless deviations such as a standard 14 font
	// without /FirstChar (pkg/pdfcpu/validate/font.go:798).
	pc.XRefTable.ValidationMode = model.ValidationRelaxed
	pc.Configuration.ValidationMode = model.ValidationRelaxed
	if err := validate.XRefTable(pc); err != nil {
		c.problem("does not validate: %v", err)
	} else if pc.PageCount < 1 {
		c.problem("has no pages")
	} else if c.opts.Flattened {
		c.flatPages(pc.XRefTable)
	}
	for _, h := range raw.hits {
		if len(h.name) <= pdfShortName && h.inStream {
			continue
		}
		if c.danger(h.name) {
			c.problem("offset %d: /%s", h.off, h.name)
		}
	}
	return nil
}

// pdfReaderAt lets a ReadSeeker be wrapped in a SectionReader; the
// check reads it from one goroutine only.
type pdfReaderAt struct{ io.ReadSeeker }

func (r pdfReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if _, err := r.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.ReadFull(r.ReadSeeker, p)
}

// object checks one object of the table.
func (c *pdfChecker) object(n int, o types.Object) error {
	switch t := o.(type) {
	case types.ObjectStreamDict:
		return c.stream(n, t.StreamDict, false)
	case types.XRefStreamDict:
		return c.stream(n, t.StreamDict, true)
	case types.StreamDict:
		c.walk(n, t.Dict, 0)
		return c.stream(n, t, false)
	default:
		c.walk(n, o, 0)
	}
	return nil
}

// walk looks at every key and name value of a direct object.
func (c *pdfChecker) walk(n int, o types.Object, depth int) {
	if depth > 200 {
		c.problem("object %d: nested too deep", n)
		return
	}
	switch t := o.(type) {
	case types.Dict:
		for k, v := range t {
			// pdfcpu decodes #xx in names when parsing (model/parse.go:535).
			if c.danger(k) {
				c.problem("object %d: /%s", n, k)
			}
			c.walk(n, v, depth+1)
		}
	case types.Array:
		for _, v := range t {
			c.walk(n, v, depth+1)
		}
	case types.Name:
		if c.danger(string(t)) {
			c.problem("object %d: /%s", n, string(t))
		}
	}
}

var (
	pdfDecodable  = map[string]bool{filter.Flate: true, filter.LZW: true, filter.ASCIIHex: true, filter.ASCII85: true, filter.RunLength: true}
	pdfImageCodec = map[string]bool{filter.DCT: true, filter.JPX: true, filter.CCITTFax: true, filter.JBIG2: true}
)

// stream decodes one stream with its own reading of /Filter and
// /DecodeParms, and scans the decoded bytes.
func (c *pdfChecker) stream(n int, sd types.StreamDict, binary bool) error {
	c.f.Streams++
	names, parms, err := pdfFilters(sd.Dict)
	if err != nil {
		c.problem("object %d: %v", n, err)
		return nil
	}
	data := sd.Raw
	imageCoded := false
	for i, name := range names {
		if pdfImageCodec[name] && i == len(names)-1 {
			imageCoded = true
			break
		}
		if !pdfDecodable[name] {
			c.problem("object %d: stream filter /%s", n, name)
			return nil
		}
		f, err := filter.NewFilter(name, parms[i], c.opts.MaxStreamBytes)
		if err != nil {
			c.problem("object %d: stream filter /%s: %v", n, name, err)
			return nil
		}
		rd, err := f.Decode(bytes.NewReader(data))
		if err != nil {
			c.problem("object %d: stream does not decode (/%s): %v", n, name, err)
			return nil
		}
		data, err = io.ReadAll(io.LimitReader(rd, c.opts.MaxStreamBytes+1))
		if err != nil || int64(len(data)) > c.opts.MaxStreamBytes {
			c.problem("object %d: stream does not decode within limits (/%s)", n, name)
			return nil
		}
	}
	binary = binary || imageCoded || pdfBinaryStream(sd.Dict)
	scan, err := pdfScanNames(c.ctx, bytes.NewReader(data))
	if err != nil {
		return err
	}
	for _, h := range scan.hits {
		if binary && len(h.name) <= pdfShortName {
			continue
		}
		if c.danger(h.name) {
			c.problem("object %d: decoded stream: /%s", n, h.name)
		}
	}
	return nil
}

// pdfBinaryStream tells streams whose decoded data is not PDF syntax:
// images (§8.9.5), font programs (§9.9), ICC profiles (§8.6.5.5).
func pdfBinaryStream(d types.Dict) bool {
	if s, ok := d["Subtype"].(types.Name); ok {
		switch s {
		case "Image", "Type1C", "CIDFontType0C", "OpenType":
			return true
		}
	}
	for _, k := range []string{"Length1", "Length2", "Length3"} {
		if _, ok := d[k]; ok {
			return true
		}
	}
	if _, ok := d["N"]; ok && d["Type"] == nil && d["Subtype"] == nil {
		return true // ICC profile
	}
	return false
}

// pdfFilters reads /Filter and /DecodeParms (§7.3.8.2) as names and
// integer parameters.
func pdfFilters(d types.Dict) ([]string, []map[string]int, error) {
	var names []string
	switch f := d["Filter"].(type) {
	case nil:
	case types.Name:
		names = []string{string(f)}
	case types.Array:
		for _, e := range f {
			nm, ok := e.(types.Name)
			if !ok {
				return nil, nil, errors.New("/Filter array holds a non-name")
			}
			names = append(names, string(nm))
		}
	default:
		return nil, nil, errors.New("/Filter is neither a name nor an array")
	}
	parms := make([]map[string]int, len(names))
	dp := []types.Object{}
	switch p := d["DecodeParms"].(type) {
	case nil:
	case types.Dict:
		dp = []types.Object{p}
	case types.Array:
		dp = p
	default:
		return nil, nil, errors.New("/DecodeParms is neither a dictionary nor an array")
	}
	for i := range names {
		parms[i] = map[string]int{}
		if i >= len(dp) {
			continue
		}
		pd, ok := dp[i].(types.Dict)
		if !ok {
			continue
		}
		for k, v := range pd {
			switch t := v.(type) {
			case types.Integer:
				parms[i][k] = int(t)
			case types.Boolean:
				if t {
					parms[i][k] = 1
				} else {
					parms[i][k] = 0
				}
			}
		}
	}
	return names, parms, nil
}
