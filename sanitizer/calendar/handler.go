package calendar

import (
	"context"
	"errors"
	"fmt"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/charset"
	"github.com/mugai-project/mugai/sanitizer/detect"
	"github.com/mugai-project/mugai/sanitizer/verify"
)

// Options bound the parser. The zero value is the default.
type Options struct {
	MaxLineBytes  int // one unfolded content line; default 256 KiB
	MaxComponents int // default 5000
	MaxProperties int // default 50000
}

func (o Options) withDefaults() Options {
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = 256 << 10
	}
	if o.MaxComponents <= 0 {
		o.MaxComponents = 5000
	}
	if o.MaxProperties <= 0 {
		o.MaxProperties = 50000
	}
	return o
}

// MediaType is the media type of the rebuilt calendar, with its charset
// named (RFC 5545 §8.1).
const MediaType = "text/calendar; charset=UTF-8"

// Handlers returns the calendar handler, for sanitizer.Options.Handlers.
func Handlers(opts Options) map[detect.Kind]sanitizer.Handler {
	o := opts.withDefaults()
	return map[detect.Kind]sanitizer.Handler{
		detect.Calendar: sanitizer.HandlerFunc(func(ctx context.Context, job *sanitizer.Job) error { return act(ctx, job, o) }),
	}
}

// Verifiers returns the independent check of rebuilt calendars, for
// sanitizer.Options.Verifiers.
func Verifiers() map[detect.Kind]verify.Func {
	return map[detect.Kind]verify.Func{detect.Calendar: VerifyCalendar}
}

// act rebuilds one calendar into a new .ics output.
func act(ctx context.Context, job *sanitizer.Job, o Options) error {
	cal, err := parse(charset.Decoder(charset.Charset(job.Charset), job.Input.Open()), o)
	switch {
	case errors.Is(err, errLimit):
		return sanitizer.Withhold(sanitizer.ReasonLimit, err)
	case err != nil: // the grammar, or text in no charset (charset.ErrNotText)
		return sanitizer.Withhold(sanitizer.ReasonMalformed, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rb := &rebuilder{links: job.Policy.Text.Links}
	out := rb.component(cal)
	job.Removed("calendar-attachment", rb.rm.attachments)
	job.Removed("calendar-html-description", rb.rm.htmlDescriptions)
	job.Removed("calendar-alarm", rb.rm.alarms)
	job.Removed("calendar-component", rb.rm.components)
	job.Removed("calendar-property", rb.rm.properties)
	job.Removed("calendar-parameter", rb.rm.parameters)
	job.Removed("calendar-invalid-value", rb.rm.invalid)
	if rb.urls > 0 {
		job.Note(fmt.Sprintf("URLs in the calendar's text (%d), links policy %s", rb.urls, job.Policy.Text.Links))
	}
	if !hasEntry(out) {
		return sanitizer.Withhold(sanitizer.ReasonMalformed, errors.New("calendar: no event or to-do to keep"))
	}
	f := job.Create(".ics", detect.Calendar)
	f.MediaType = MediaType
	return write(f, out)
}

func hasEntry(cal *component) bool {
	for _, c := range cal.children {
		if c.name == "VEVENT" || c.name == "VTODO" {
			return true
		}
	}
	return false
}
