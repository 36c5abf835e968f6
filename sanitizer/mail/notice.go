package mail

import (
	"bytes"
	"fmt"
	"text/template"

	"github.com/mugai-project/mugai/internal/catalog"
)

// DefaultNoticeTemplate is the notice put at the top of every sanitized
// body. A policy replaces it with Options.NoticeTemplate; it is executed
// with NoticeData, and {{t LANG KEY ARGS...}} gives the catalog's words
// (internal/catalog) in a language.
const DefaultNoticeTemplate = `━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━
{{t "ja" "notice.title"}}
{{- if .English}}
{{t "en" "notice.title"}}
{{- end}}
{{range .Lines}}・{{.Ja}}
{{if $.English}}  ({{.En}})
{{end}}{{end}}
{{- if .URLs}}
{{if .LinksRemoved}}{{t "ja" "notice.links_removed"}}{{else}}{{t "ja" "notice.links_listed"}}{{end}}
{{range .URLs}}  {{.}}
{{end}}{{end}}
{{- if .HeldURL}}
{{t "ja" "held.notice_link"}}
  {{.HeldURL}}
{{- if .English}}
{{t "en" "held.notice_link"}}
{{- end}}
{{end}}
{{t "ja" "notice.ask" .ID}}
━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━
`

// NoticeData is what a notice template is executed with.
type NoticeData struct {
	ID           string       // the message's item ID (quarantine reference)
	Lines        []NoticeLine // one per action taken
	URLs         []string     // defanged; listed when links were removed
	LinksRemoved bool
	English      bool
	// HeldURL is the recipients' page of what was withheld
	// (Options.HeldLink), set when something was.
	HeldURL string
}

// NoticeLine is one action in Japanese and English.
type NoticeLine struct {
	Ja, En string
}

// notice renders the notice; the result still goes through the body
// text cleaning (CRLF, controls) like any other body text.
func renderNotice(t *template.Template, tmpl string, d NoticeData) (string, error) {
	if t == nil {
		var err error
		if t, err = parseNotice(tmpl); err != nil {
			return "", err
		}
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return "", fmt.Errorf("mail: notice template: %w", err)
	}
	return b.String(), nil
}

// parseNotice parses a notice template ("" is the default).
func parseNotice(tmpl string) (*template.Template, error) {
	if tmpl == "" {
		tmpl = DefaultNoticeTemplate
	}
	t, err := template.New("notice").Option("missingkey=error").Funcs(template.FuncMap{"t": catalog.Text}).Parse(tmpl)
	if err != nil {
		return nil, fmt.Errorf("mail: notice template: %w", err)
	}
	return t, nil
}

// noticeLines words each action for the notice.
func noticeLines(st *walkStats, children []*outcome, o Options, nurls int, readReceipt bool) []NoticeLine {
	var l []NoticeLine
	// line words key in each language with the arguments for it.
	line := func(key string, args func(lang string) []any) NoticeLine {
		return NoticeLine{Ja: catalog.Text(catalog.Japanese, key, args(catalog.Japanese)...), En: catalog.Text(catalog.English, key, args(catalog.English)...)}
	}
	add := func(key string, args ...any) {
		l = append(l, line(key, func(string) []any { return args }))
	}
	count := func(key string, n int) {
		l = append(l, NoticeLine{Ja: catalog.N(catalog.Japanese, key, n), En: catalog.N(catalog.English, key, n)})
	}
	switch {
	case st.htmlBody && !st.htmlDropped:
		add("notice.html_converted")
	case st.htmlDropped:
		add("notice.html_dropped")
	}
	if nurls > 0 {
		switch o.Links {
		case LinksDefang:
			count("notice.links_defanged", nurls)
		case LinksRemove:
			count("notice.links_removed_count", nurls)
		}
	}
	if st.inlineImages > 0 {
		count("notice.inline_images", st.inlineImages)
	}
	if st.signature != "" {
		add("notice.signature", st.signature)
	}
	if readReceipt {
		add("notice.read_receipt")
	}
	for _, name := range st.tnef {
		add("notice.tnef", displayName(name))
	}
	for _, ch := range children {
		name := displayName(ch.Name)
		reason := func(lang string) string {
			if lang == catalog.Japanese {
				return ch.Message
			}
			return ch.English
		}
		l = append(l, nameNotice(ch.Name, name)...)
		switch {
		case ch.Held && ch.Reason == "encrypted":
			add("notice.attachment_encrypted", name, ch.ID)
		case ch.Held:
			l = append(l, line("notice.attachment_held", func(lang string) []any { return []any{name, reason(lang), ch.ID} }))
		case ch.Withheld && ch.Reason == "executable":
			add("notice.attachment_executable", name)
		case ch.Withheld:
			l = append(l, line("notice.attachment_withheld", func(lang string) []any { return []any{name, reason(lang), ch.ID} }))
		default:
			action := actionKey(ch)
			nl := line("notice.attachment_converted", func(lang string) []any { return []any{name, catalog.Text(lang, action)} })
			if len(ch.Files) == 1 && ch.Files[0].Name != name {
				nl.Ja += catalog.Text(catalog.Japanese, "notice.attached_as", ch.Files[0].Name)
				nl.En += catalog.Text(catalog.English, "notice.attached_as", ch.Files[0].Name)
			}
			l = append(l, nl)
		}
		l = append(l, calendarNotice(ch, name)...)
	}
	for _, name := range st.encrypted {
		add("notice.encrypted_part", displayName(name))
	}
	for _, name := range st.failed {
		add("notice.attachment_failed", displayName(name))
	}
	if st.alternatives > 0 {
		count("notice.alternatives", st.alternatives)
	}
	if st.unknownCharset > 0 {
		add("notice.charset_guessed")
	}
	if st.truncated || st.noParts > 0 {
		add("notice.damaged")
	}
	return l
}

// actionKey is the catalog key of what was made of a converted
// attachment.
func actionKey(ch *outcome) string {
	switch {
	case ch.Detected == "eml" && ch.Action == "text":
		return "notice.action.eml"
	case ch.Action == "flatten", ch.Action == "reencode", ch.Action == "disarm", ch.Action == "both", ch.Action == "text", ch.Action == "strip":
		return "notice.action." + ch.Action
	}
	return "notice.action.other"
}

// displayName is a declared name made safe to show: no folders, no
// controls or bidi overrides, at most 100 characters.
func displayName(s string) string {
	var f textFindings
	s = cleanText(baseName(s), &f)
	if r := []rune(s); len(r) > 100 {
		s = string(r[:100]) + "…"
	}
	if s == "" || s == "." {
		s = catalog.Text(catalog.Japanese, "notice.unnamed")
	}
	return s
}

// withheldAny reports whether anything of the message was withheld or
// held: what its recipients may ask for on the held-item page.
func withheldAny(sum *outcomeSummary) bool {
	if len(sum.stats.encrypted) > 0 || len(sum.stats.failed) > 0 {
		return true
	}
	for _, ch := range sum.children {
		if ch.Withheld || ch.Held {
			return true
		}
	}
	return false
}
