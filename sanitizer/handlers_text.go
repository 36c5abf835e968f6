package sanitizer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mugai-project/mugai/sanitizer/charset"
	"github.com/mugai-project/mugai/sanitizer/detect"
	"github.com/mugai-project/mugai/sanitizer/text"
)

// actText rewrites plain text, CSV and TSV as UTF-8 from the detected
// charset, neutralizing spreadsheet formulas in CSV and TSV cells.
func actText(ctx context.Context, job *Job) error {
	opts := text.Options{Charset: charset.Charset(job.Charset)}
	ext, kind := ".txt", detect.Text
	switch job.Kind {
	case detect.CSV:
		opts.Format, opts.BOM = text.FormatCSV, !job.Policy.Text.NoCSVBOM
		ext, kind = ".csv", detect.CSV
	case detect.TSV:
		opts.Format, opts.BOM = text.FormatTSV, !job.Policy.Text.NoCSVBOM
		ext, kind = ".tsv", detect.TSV
	}
	out := job.Create(ext, kind)
	st, err := text.Rewrite(ctx, job.Input.Open(), out, opts)
	if err != nil {
		return textError(err)
	}
	job.Removed("formula", st.FormulasNeutralized)
	job.Removed("control-character", st.ControlsRemoved)
	job.Removed("invalid-byte", st.InvalidReplaced)
	return nil
}

// actHTML reduces an HTML file to plain text: scripts, styles, forms and
// hidden content are gone, links follow the policy, every URL is noted.
func actHTML(ctx context.Context, job *Job) error {
	out := job.Create(".txt", detect.Text)
	src := charset.Decoder(charset.Charset(job.Charset), job.Input.Open())
	res, err := text.HTMLToText(ctx, src, out, text.HTMLOptions{Links: job.Policy.Text.Links})
	if err != nil {
		return textError(err)
	}
	for what, n := range res.Removed {
		job.Removed(what, n)
	}
	if len(res.URLs) > 0 {
		job.Note(fmt.Sprintf("URLs (%s): %s", job.Policy.Text.Links, strings.Join(res.URLs, " ")))
	}
	return nil
}

func textError(err error) error {
	var le *text.LimitError
	if errors.As(err, &le) {
		return Withhold(ReasonLimit, err)
	}
	return Withhold(ReasonMalformed, err)
}
