package text

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/charset"
	"github.com/mugai-project/mugai/sanitizer/detect"
	"github.com/mugai-project/mugai/sanitizer/verify"
)

// HandlerOptions bound the text and HTML handlers. The zero value means
// the defaults of Options and HTMLOptions. What depends on the item is set
// per job: the charset from detection, the format from the detected kind,
// the CSV byte order mark and the HTML links from the policy.
type HandlerOptions struct {
	Rewrite Options     // limits for plain text, CSV and TSV
	HTML    HTMLOptions // limits for HTML
}

// Handlers returns the engine handlers for plain text, CSV and TSV
// (rewritten as UTF-8, spreadsheet formulas neutralized) and for HTML
// (reduced to plain text, every URL noted on the report).
func Handlers(opts HandlerOptions) map[detect.Kind]sanitizer.Handler {
	h := &handler{opts: opts}
	return map[detect.Kind]sanitizer.Handler{
		detect.Text: sanitizer.HandlerFunc(h.text),
		detect.CSV:  sanitizer.HandlerFunc(h.text),
		detect.TSV:  sanitizer.HandlerFunc(h.text),
		detect.HTML: sanitizer.HandlerFunc(h.html),
	}
}

// Verifiers returns the independent checks for the output kinds, text,
// CSV and TSV: valid UTF-8 without control characters.
func Verifiers() map[detect.Kind]verify.Func {
	return map[detect.Kind]verify.Func{
		detect.Text: verify.Kind(detect.Text, verify.Text),
		detect.CSV:  verify.Kind(detect.CSV, verify.Text),
		detect.TSV:  verify.Kind(detect.TSV, verify.Text),
	}
}

type handler struct{ opts HandlerOptions }

// text rewrites plain text, CSV and TSV as UTF-8 from the detected
// charset, neutralizing spreadsheet formulas in CSV and TSV cells.
func (h *handler) text(ctx context.Context, job *sanitizer.Job) error {
	opts := h.opts.Rewrite
	opts.Charset, opts.Format, opts.BOM = charset.Charset(job.Charset), FormatPlain, false
	ext, kind := ".txt", detect.Text
	switch job.Kind {
	case detect.CSV:
		opts.Format, opts.BOM = FormatCSV, !job.Policy.Text.NoCSVBOM
		ext, kind = ".csv", detect.CSV
	case detect.TSV:
		opts.Format, opts.BOM = FormatTSV, !job.Policy.Text.NoCSVBOM
		ext, kind = ".tsv", detect.TSV
	}
	out := job.Create(ext, kind)
	st, err := Rewrite(ctx, job.Input.Open(), out, opts)
	if err != nil {
		return reason(err)
	}
	job.Removed("formula", st.FormulasNeutralized)
	if st.FormulasNeutralized > 0 {
		q := make([]string, len(st.FormulaExamples))
		for i, c := range st.FormulaExamples {
			q[i] = strconv.Quote(c)
		}
		job.Note(fmt.Sprintf("%d個のセルの先頭に ' を付けて数式として働かないようにしました。例: %s (%d cells prefixed with ' so that they are not run as formulas, e.g. %[2]s)",
			st.FormulasNeutralized, strings.Join(q, ", "), st.FormulasNeutralized))
	}
	job.Removed("control-character", st.ControlsRemoved)
	job.Removed("invalid-byte", st.InvalidReplaced)
	return nil
}

// html reduces an HTML file to plain text: scripts, styles, forms and
// hidden content are gone, links follow the policy, every URL is noted.
func (h *handler) html(ctx context.Context, job *sanitizer.Job) error {
	opts := h.opts.HTML
	opts.Links = job.Policy.Text.Links
	out := job.Create(".txt", detect.Text)
	src := charset.Decoder(charset.Charset(job.Charset), job.Input.Open())
	res, err := HTMLToText(ctx, src, out, opts)
	if err != nil {
		return reason(err)
	}
	for what, n := range res.Removed {
		job.Removed(what, n)
	}
	if len(res.URLs) > 0 {
		job.Note(fmt.Sprintf("URLs (%s): %s", job.Policy.Text.Links, strings.Join(res.URLs, " ")))
	}
	return nil
}

// reason maps a limit onto the engine's reasons; anything else is a
// malformed item.
func reason(err error) error {
	var le *LimitError
	if errors.As(err, &le) {
		return sanitizer.Withhold(sanitizer.ReasonLimit, err)
	}
	return sanitizer.Withhold(sanitizer.ReasonMalformed, err)
}
