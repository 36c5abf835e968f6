package mail

import (
	"text/template"

	"github.com/mugai-project/mugai/sanitizer/text"
)

// Links policies for URLs in the body, plain text and HTML alike (see
// text.ApplyLinks).
const (
	LinksKeep   = text.LinksKeep
	LinksDefang = text.LinksDefang
	LinksRemove = text.LinksRemove
)

// Options configure the mail handler. The zero value is the default.
type Options struct {
	// Links is "keep", "defang" or "remove"; "" follows the engine
	// policy's text links setting (default defang).
	Links string
	// NFKC normalizes the body text (half-width kana become full-width).
	// Off by default: normalizing changes what the sender wrote.
	NFKC bool
	// Charset of the output body: "UTF-8" (default) or "ISO-2022-JP" for
	// old clients, which falls back to UTF-8 when a character does not fit.
	Charset string
	// English adds an English line under each Japanese notice line.
	English bool
	// NoticeTemplate replaces the notice wording; a text/template
	// executed with NoticeData. Empty means DefaultNoticeTemplate.
	NoticeTemplate string
	// KeepReadReceipt keeps Disposition-Notification-To (RFC 8098).
	KeepReadReceipt bool
	// InlineImages is "drop" (default: cid: images of an HTML body are
	// removed and counted) or "attach" (sanitized and attached).
	InlineImages string
	// HeldLink, if set, gives the link to the download site's page of
	// the items withheld from message id, for the notice.
	HeldLink func(id string) string

	MaxHeaders         int   // header fields per header block; default 1000
	MaxHeaderBytes     int   // bytes of one header block; default 1 MiB
	MaxHeaderLineBytes int   // bytes of one physical header line; default 64 KiB
	MaxDepth           int   // MIME nesting inside one message; default 20
	MaxParts           int   // MIME entities in one message; default 500
	MaxBodyBytes       int64 // decoded text of the body; default 64 MiB

	notice *template.Template // NoticeTemplate, parsed once by Handlers
}

func (o Options) withDefaults() Options {
	switch o.Links {
	case LinksKeep, LinksDefang, LinksRemove:
	default:
		o.Links = LinksDefang
	}
	if o.Charset == "" {
		o.Charset = "UTF-8"
	}
	if o.InlineImages != "attach" {
		o.InlineImages = "drop"
	}
	if o.MaxHeaders <= 0 {
		o.MaxHeaders = 1000
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = 1 << 20
	}
	if o.MaxHeaderLineBytes <= 0 {
		o.MaxHeaderLineBytes = 64 << 10
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = 20
	}
	if o.MaxParts <= 0 {
		o.MaxParts = 500
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 64 << 20
	}
	return o
}
