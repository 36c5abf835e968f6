package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/mugai-project/mugai/internal/spill"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
	"github.com/mugai-project/mugai/sanitizer/text"
)

// Handlers returns the engine handler for messages (detected kind eml),
// for sanitizer.Options.Handlers. It writes one output of kind eml.
func Handlers(opts Options) map[detect.Kind]sanitizer.Handler {
	h := &handler{opts: opts}
	h.opts.notice, h.err = parseNotice(opts.NoticeTemplate)
	return map[detect.Kind]sanitizer.Handler{detect.EML: h}
}

type handler struct {
	opts Options
	err  error // a notice template that does not parse
}

// Act sanitizes the message in job.Input.
func (h *handler) Act(ctx context.Context, job *sanitizer.Job) error {
	if h.err != nil {
		return sanitizer.Withhold(sanitizer.ReasonInternal, h.err)
	}
	o := h.opts
	if o.Links == "" && job.Policy != nil {
		o.Links = job.Policy.Text.Links
	}
	o = o.withDefaults()
	e := &jobEnv{job: job}
	out := job.Create(".eml", detect.EML)
	sum, err := sanitizeMessage(ctx, o, e, job.Input.Open(), out, job.ID())
	if err != nil {
		return withholdFor(err)
	}
	record(job, sum)
	return nil
}

// withholdFor maps an error of the walk to the engine's reasons.
func withholdFor(err error) error {
	var le *limitError
	var ee *encryptedError
	var we *sanitizer.WithheldError
	switch {
	case errors.As(err, &we):
		return err
	case errors.As(err, &ee):
		return sanitizer.HoldFor(sanitizer.ReasonEncrypted, err)
	case errors.As(err, &le) && le.depth:
		return sanitizer.Withhold(sanitizer.ReasonDepth, err)
	case errors.As(err, &le):
		return sanitizer.Withhold(sanitizer.ReasonLimit, err)
	}
	return sanitizer.Withhold(sanitizer.ReasonMalformed, err)
}

// record writes the walk's findings and removals into the job's report.
func record(job *sanitizer.Job, sum *outcomeSummary) {
	job.SetNotice(sum.notice)
	st := &sum.stats
	finds := []struct {
		code   string
		n      int
		detail string
	}{
		{"mail-mbox-from-line", b2i(sum.hstats.mbox), "an mbox From line preceded the header"},
		{"mail-cr-line-ends", b2i(sum.hstats.crOnly), "lines ended in CR alone, read as CRLF"},
		{"mail-malformed-header", st.headerRepairs, "header lines that were neither a field nor a continuation"},
		{"mail-nul-bytes", st.nul, "NUL bytes removed"},
		{"mail-unknown-transfer-encoding", st.unknownCTE, "parts with an unknown Content-Transfer-Encoding, read as 8bit"},
		{"mail-unknown-charset", st.unknownCharset, "body parts in an unknown charset, guessed"},
		{"mail-charset-mismatch", st.charsetMismatch, "body parts whose bytes do not match the declared charset"},
		{"mail-bad-content-type", st.badContentType, "unparsable Content-Type, treated as an octet stream"},
		{"mail-base64-trailing-text", st.base64Trailing, "lines of text after the end of base64 data, not decoded"},
		{"mail-truncated", b2i(st.truncated), "a multipart ended without its closing boundary"},
		{"mail-no-parts", st.noParts, "a multipart with no parts"},
		{"mail-header-8bit", b2i(sum.headerFinds.raw8bit), "raw 8-bit or ISO-2022-JP bytes in header fields"},
		{"mail-header-unknown-charset", b2i(sum.headerFinds.badCharset), "encoded words in an unknown charset"},
		{"mail-header-injection", b2i(sum.headerFinds.controls), "CR, LF or control characters in decoded header fields, removed"},
		{"mail-split-encoded-words", b2i(sum.headerFinds.joinedWords), "adjacent encoded words joined before decoding"},
		{"mail-script-text", st.scriptTags, "<script text in the body, broken up"},
	}
	for _, f := range finds {
		if f.n > 0 {
			job.Find(f.code, fmt.Sprintf("%s (%d)", f.detail, f.n))
		}
	}
	job.Removed("inline-image", st.inlineImages)
	job.Removed("signature", st.signatureParts)
	job.Removed("body-alternative", st.alternatives+b2i(st.htmlDropped))
	job.Removed("encrypted-part", len(st.encrypted))
	job.Removed("read-receipt-request", b2i(sum.readReceipt))
	job.Removed("control-character", st.controls)
	if len(sum.urls) > 0 {
		job.Note(fmt.Sprintf("URLs found (%d): %s", len(sum.urls), joinLimited(sum.urls, 50)))
	}
	if sum.charset != "UTF-8" {
		job.Note("body written in " + sum.charset)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func joinLimited(s []string, n int) string {
	var b bytes.Buffer
	for i, v := range s {
		if i == n {
			fmt.Fprintf(&b, " … (%d more)", len(s)-n)
			break
		}
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(v)
	}
	return b.String()
}

// jobEnv runs the walker's outside needs on the engine.
type jobEnv struct{ job *sanitizer.Job }

func (e *jobEnv) buffer() *spill.Buffer {
	return e.job.NewBuffer()
}

func (e *jobEnv) htmlToText(ctx context.Context, r io.Reader, w io.Writer, links string) ([]string, error) {
	res, err := text.HTMLToText(ctx, r, w, text.HTMLOptions{Links: links})
	keys := make([]string, 0, len(res.Removed))
	for k := range res.Removed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		e.job.Removed("html-"+k, res.Removed[k])
	}
	return res.URLs, err
}

// sanitize runs a part through the engine one level deeper.
func (e *jobEnv) sanitize(ctx context.Context, p part) (*outcome, error) {
	name := p.Name
	if p.Message {
		name = detect.WithExt(name, ".eml")
	}
	res, err := e.job.Child(ctx, sanitizer.Input{Name: name, DeclaredType: p.DeclaredType, Body: p.Body})
	if err != nil {
		return nil, err
	}
	// The quarantine keeps the whole message; the part's own copy is not
	// needed while the outputs wait to be attached.
	if res.Original != nil {
		res.Original.Close()
		res.Original = nil
	}
	rep := res.Report
	oc := &outcome{
		Name: p.Name, ID: rep.ID, Detected: string(rep.Detected), Action: string(rep.Action),
		Withheld: rep.Withheld, Held: rep.Withheld && rep.Action == sanitizer.Hold, Close: res.Close,
	}
	if len(rep.Reasons) > 0 {
		oc.Reason, oc.Message, oc.English = rep.Reasons[0].Code, rep.Reasons[0].Message, rep.Reasons[0].English
	}
	for _, o := range res.Outputs {
		if !attachable(o) {
			oc.Files = nil
			oc.Withheld = true
			r := sanitizer.NewReason(sanitizer.ReasonVerify, "a text output contains <script")
			oc.Reason, oc.Message, oc.English = r.Code, r.Message, r.English
			break
		}
		o := o
		oc.Files = append(oc.Files, file{Name: o.Name, MediaType: o.MediaType, Kind: string(o.Kind), Size: o.Size(), Open: func() io.Reader { return o.Open() }})
	}
	return oc, nil
}

// attachable applies the mail's own rule to an engine output before it is
// attached: an allowed kind, and text without "<script" (which the EML
// verifier refuses anywhere in a message).
func attachable(o *sanitizer.Output) bool {
	if !allowedAttachment[o.Kind] {
		return false
	}
	if o.Kind.IsText() && o.Kind != detect.EML {
		return !containsScript(o.Open())
	}
	return true
}
