package text

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/transform"

	"github.com/mugai-project/mugai/sanitizer/charset"
)

// Format is the layout Rewrite keeps while rewriting.
type Format string

const (
	FormatPlain Format = "plain" // the zero value means plain too
	FormatCSV   Format = "csv"   // RFC 4180, comma
	FormatTSV   Format = "tsv"   // tab-separated, quoted like RFC 4180
)

// Options for Rewrite. The zero value rewrites sniffed plain text.
type Options struct {
	// Charset of the input; "" means Sniff the first 64 KiB.
	Charset charset.Charset
	// Format: FormatPlain (or ""), FormatCSV or FormatTSV.
	Format Format
	// BOM writes a UTF-8 byte order mark first. Excel needs it to open a
	// UTF-8 CSV as UTF-8 rather than CP932; the engine turns it on for CSV
	// and TSV unless the policy says otherwise.
	BOM bool
	// MaxBytes bounds the input. Default 64 MiB.
	MaxBytes int64
	// MaxLineBytes bounds one line of decoded text. Default 1 MiB.
	MaxLineBytes int
}

func (o Options) withDefaults() Options {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 64 << 20
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = 1 << 20
	}
	if o.Format == "" {
		o.Format = FormatPlain
	}
	return o
}

// Stats says what Rewrite did.
type Stats struct {
	Charset  charset.Charset // the input's, as given or sniffed (after a 7-bit start, as found later)
	Newline  string          // "CRLF", "LF", "CR" as first seen, or "" for one line
	BytesIn  int64
	BytesOut int64
	Lines    int // LF count in the decoded text
	Records  int // CSV/TSV records written
	// ControlsRemoved counts removed C0 controls (all but TAB, LF, CR), DEL
	// and C1 controls (U+0080–U+009F).
	ControlsRemoved int
	// InvalidReplaced counts U+FFFD in the output: bytes that were invalid
	// in the input charset. (A U+FFFD already present in UTF-8 input is
	// counted too; the count is for the report.)
	InvalidReplaced int
	// FormulasNeutralized counts CSV/TSV cells prefixed with ' ;
	// FormulaExamples are the first few of them as they were.
	FormulasNeutralized int
	FormulaExamples     []string
	BOMWritten          bool
}

// LimitError reports that input exceeds a configured limit. The output is
// incomplete and must be discarded.
type LimitError struct {
	Limit string // "input bytes", "line bytes", "output bytes", ...
	Max   int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("text: %s over the limit of %d", e.Limit, e.Max)
}

// Rewrite reads text from r and writes it to w as valid UTF-8: NUL and
// other controls removed, invalid sequences as U+FFFD, line ends kept as
// they were (CRLF stays CRLF, LF stays LF). Everything written is rebuilt
// from decoded characters.
//
// For CSV and TSV the records are parsed (encoding/csv, lazy quotes, any
// field count) and written again with the same delimiter and line end, and
// spreadsheet formula injection is neutralized as the OWASP "CSV Injection"
// guidance says: a cell starting with = + - @ TAB or CR, or with the
// full-width ＝ ＋ － ＠ that Excel also takes as formula starts, gets a
// leading apostrophe. Divergence: a cell that is plain data is left
// alone so that the sheet keeps it as it was: a signed number, with
// thousands separators, decimals, an exponent or a percent sign ("-123",
// "+1.5", "-1,234.5", "-1 234", "+12.5%", "1e-3"), a phone number
// ("+81-48-000-0000", "+1 (555) 123-4567"), a signed date or time
// ("+2026-04-01", "+09:00"). Such a cell holds only digits, signs and
// separators: a spreadsheet can at most compute a number from it, never
// call a function, reach a cell or another program.
// encoding/csv drops blank lines and turns CRLF inside a quoted cell into
// the output's line end.
func Rewrite(ctx context.Context, r io.Reader, w io.Writer, opts Options) (Stats, error) {
	opts = opts.withDefaults()
	var st Stats
	in := &limitReader{ctx: ctx, r: r, left: opts.MaxBytes, max: opts.MaxBytes}
	br := bufio.NewReaderSize(in, 64<<10)
	cs := opts.Charset
	if cs == "" {
		sample, err := br.Peek(64 << 10)
		if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
			return st, err
		}
		cs = charset.Sniff(sample)
		if cs == "" {
			return st, charset.ErrNotText
		}
	}
	st.Charset = cs
	cl := &cleaner{maxLine: opts.MaxLineBytes}
	dec := charset.Decoder(cs, br)
	src := transform.NewReader(dec, cl)
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 32<<10)
	if opts.BOM {
		bw.WriteString("\uFEFF")
		st.BOMWritten = true
	}
	var err error
	switch opts.Format {
	case FormatPlain:
		_, err = io.Copy(bw, src)
	case FormatCSV:
		err = rewriteCSV(ctx, src, bw, ',', cl, &st)
	case FormatTSV:
		err = rewriteCSV(ctx, src, bw, '\t', cl, &st)
	default:
		err = fmt.Errorf("text: unknown format %q", opts.Format)
	}
	if err == nil {
		err = bw.Flush()
	}
	if lr, ok := dec.(interface{ Late() charset.Charset }); ok && lr.Late() != "" {
		st.Charset = lr.Late()
	}
	st.BytesIn = in.max - in.left
	st.BytesOut = cw.n
	st.Lines, st.ControlsRemoved, st.InvalidReplaced, st.Newline = cl.lines, cl.controls, cl.replaced, cl.newline
	if err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			return st, le
		}
		return st, err
	}
	return st, nil
}

func rewriteCSV(ctx context.Context, src io.Reader, w io.Writer, comma rune, cl *cleaner, st *Stats) error {
	cr := csv.NewReader(src)
	cr.Comma = comma
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cw := csv.NewWriter(w)
	cw.Comma = comma
	first := true
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("text: %s record: %w", map[rune]string{',': "CSV", '\t': "TSV"}[comma], err)
		}
		if first {
			cw.UseCRLF = cl.newline == "CRLF"
			first = false
		}
		for i, cell := range rec {
			if c, ok := Neutralize(cell); ok {
				if len(st.FormulaExamples) < maxFormulaExamples {
					st.FormulaExamples = append(st.FormulaExamples, example(cell))
				}
				rec[i] = c
				st.FormulasNeutralized++
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
		st.Records++
	}
	cw.Flush()
	return cw.Error()
}

// maxFormulaExamples is how many neutralized cells Stats keeps.
const maxFormulaExamples = 3

// example is a cell shortened to 40 characters for a report.
func example(cell string) string {
	if r := []rune(cell); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return cell
}

// Neutralize returns cell with a leading apostrophe when a spreadsheet
// would take it as a formula (see Rewrite), and whether it changed it.
func Neutralize(cell string) (string, bool) {
	r, _ := utf8.DecodeRuneInString(cell)
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '\n', '＝', '＋', '－', '＠':
	default:
		return cell, false
	}
	if plainData(cell) {
		return cell, false
	}
	return "'" + cell, true
}

// The plain data a cell may start with a sign and still be left alone
// (see Rewrite). Each admits only ASCII digits, signs and separators.
var (
	plainNumberRE = regexp.MustCompile(`^[+-]?([0-9]+|[0-9]{1,3}(,[0-9]{3})+|[0-9]{1,3}( [0-9]{3})+)?(\.[0-9]+)?([eE][+-]?[0-9]+)?%?$`)
	phoneRE       = regexp.MustCompile(`^\+[0-9]{1,3}([ -]?(\([0-9]{1,5}\)|[0-9]{1,5})){1,6}$`)
	signedDateRE  = regexp.MustCompile(`^[+-]([0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}|[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)$`)
)

// plainData reports whether cell is a number, a phone number or a
// signed date or time.
func plainData(cell string) bool {
	if plainNumberRE.MatchString(cell) {
		// The pattern's parts are all optional: a number has a digit.
		return strings.ContainsAny(cell, "0123456789")
	}
	return phoneRE.MatchString(cell) || signedDateRE.MatchString(cell)
}

// CSVLike guesses whether sample (the start of a text file, possibly cut
// mid-line) is delimited data: at least two records, comma, tab or
// semicolon separated, with the same number of fields (two or more) in
// nearly all of them. It returns the delimiter.
func CSVLike(sample []byte) (delim rune, ok bool) {
	if i := bytes.LastIndexByte(sample, '\n'); i >= 0 && i < len(sample)-1 {
		sample = sample[:i+1] // drop a cut-off last line
	}
	best, bestFields := rune(0), 0
	for _, d := range []rune{',', '\t', ';'} {
		cr := csv.NewReader(bytes.NewReader(sample))
		cr.Comma = d
		cr.LazyQuotes = true
		cr.FieldsPerRecord = -1
		counts := map[int]int{}
		recs := 0
		for recs < 200 {
			rec, err := cr.Read()
			if err != nil {
				break
			}
			counts[len(rec)]++
			recs++
		}
		if recs < 2 {
			continue
		}
		mode, modeN := 0, 0
		for f, n := range counts {
			if n > modeN || (n == modeN && f > mode) {
				mode, modeN = f, n
			}
		}
		if mode >= 2 && modeN*10 >= recs*9 && mode > bestFields {
			best, bestFields = d, mode
		}
	}
	return best, best != 0
}

// cleaner is a transform.Transformer over UTF-8 that removes controls,
// counts U+FFFD and line ends, notes the first line end style and bounds
// line length.
type cleaner struct {
	maxLine  int
	lineLen  int
	lines    int
	controls int
	replaced int
	newline  string
	prevCR   bool
	started  bool
}

func (c *cleaner) Reset() {}

func (c *cleaner) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		r, size := rune(src[nSrc]), 1
		if r >= utf8.RuneSelf {
			if !atEOF && !utf8.FullRune(src[nSrc:]) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			r, size = utf8.DecodeRune(src[nSrc:])
		}
		if !c.started {
			c.started = true
			if r == '\uFEFF' { // a BOM the decoder left (e.g. after a BOM)
				nSrc += size
				continue
			}
		}
		if c.newline == "" && c.prevCR {
			if r == '\n' {
				c.newline = "CRLF"
			} else {
				c.newline = "CR"
			}
		}
		c.prevCR = false
		switch {
		case r == '\n':
			if c.newline == "" {
				c.newline = "LF"
			}
			c.lines++
			c.lineLen = -1
		case r == '\r':
			c.prevCR = true
			c.lineLen = -1
		case r == '\t':
		case r < 0x20 || r == 0x7F || (r >= 0x80 && r <= 0x9F):
			c.controls++
			nSrc += size
			continue
		case r == utf8.RuneError:
			c.replaced++
			size2 := utf8.RuneLen(utf8.RuneError)
			if nDst+size2 > len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += utf8.EncodeRune(dst[nDst:], utf8.RuneError)
			nSrc += size
			c.lineLen += size2
			if c.lineLen > c.maxLine {
				return nDst, nSrc, &LimitError{Limit: "line bytes", Max: int64(c.maxLine)}
			}
			continue
		}
		if nDst+size > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		copy(dst[nDst:], src[nSrc:nSrc+size])
		nDst += size
		nSrc += size
		c.lineLen += size
		if c.lineLen > c.maxLine {
			return nDst, nSrc, &LimitError{Limit: "line bytes", Max: int64(c.maxLine)}
		}
	}
	return nDst, nSrc, nil
}

// limitReader fails with a *LimitError once more than max bytes were read,
// and with ctx's error once ctx is done.
type limitReader struct {
	ctx       context.Context
	r         io.Reader
	left, max int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if err := l.ctx.Err(); err != nil {
		return 0, err
	}
	if l.left <= 0 {
		// Probe for one more byte: exactly max bytes is fine.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			return 0, &LimitError{Limit: "input bytes", Max: l.max}
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
