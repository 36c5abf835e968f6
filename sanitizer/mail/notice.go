package mail

import (
	"bytes"
	"fmt"
	"text/template"
)

// DefaultNoticeTemplate is the notice put at the top of every sanitized
// body. A policy replaces it with Options.NoticeTemplate; it is executed
// with NoticeData.
const DefaultNoticeTemplate = `━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━
【無害化済み】このメールは安全のため、受信時に無害化（テキスト化）されています。
{{- if .English}}
This message was made harmless (converted to plain text) on arrival.
{{- end}}
{{range .Lines}}・{{.Ja}}
{{if $.English}}  ({{.En}})
{{end}}{{end}}
{{- if .URLs}}
{{if .LinksRemoved}}削除したリンク{{else}}本文中のリンク{{end}}（クリックできない形で表示しています）:
{{range .URLs}}  {{.}}
{{end}}{{end}}
元のメールが必要な場合は、保管ID {{.ID}} を添えて情報システム担当へお問い合わせください。
━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━
`

// NoticeData is what a notice template is executed with.
type NoticeData struct {
	ID           string       // the message's item ID (quarantine reference)
	Lines        []NoticeLine // one per action taken
	URLs         []string     // defanged; listed when links were removed
	LinksRemoved bool
	English      bool
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
	t, err := template.New("notice").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return nil, fmt.Errorf("mail: notice template: %w", err)
	}
	return t, nil
}

// noticeLines words each action for the notice.
func noticeLines(st *walkStats, children []*outcome, o Options, nurls int, readReceipt bool) []NoticeLine {
	var l []NoticeLine
	add := func(ja, en string, args ...any) {
		l = append(l, NoticeLine{Ja: fmt.Sprintf(ja, args...), En: fmt.Sprintf(en, args...)})
	}
	switch {
	case st.htmlBody && !st.htmlDropped:
		add("本文をテキスト化しました（HTML形式の装飾・画像・スクリプトを除去）", "The HTML body was converted to plain text (formatting, images and scripts removed)")
	case st.htmlDropped:
		add("本文のHTML版を削除し、テキスト版を残しました", "The HTML version of the body was removed; the plain-text version is kept")
	}
	if nurls > 0 {
		switch o.Links {
		case LinksDefang:
			add("本文中のリンク（%d件）をクリックできない形（hxxp://）に変えました", "%d links in the body were made unclickable (hxxp://)", nurls)
		case LinksRemove:
			add("本文中のリンク（%d件）を削除しました", "%d links were removed from the body", nurls)
		}
	}
	if st.inlineImages > 0 {
		add("本文中の画像（%d件）を削除しました", "%d images embedded in the body were removed", st.inlineImages)
	}
	if st.signature != "" {
		add("電子署名（%s）を削除しました（無害化により署名の検証はできなくなるため）", "The %s signature was removed (sanitizing would break it)", st.signature)
	}
	if readReceipt {
		add("開封確認の要求を削除しました", "The read-receipt request was removed")
	}
	for _, name := range st.tnef {
		add("添付ファイル「%s」(Outlook形式) からファイルを取り出しました", "The files inside %q (Outlook format) were extracted", displayName(name))
	}
	for _, ch := range children {
		name := displayName(ch.Name)
		l = append(l, nameNotice(ch.Name, name)...)
		switch {
		case ch.Held && ch.Reason == "encrypted":
			add("添付ファイル「%s」はパスワード付きのため保留しました（保管ID: %s）", "%q is password-protected and was held (ID %s)", name, ch.ID)
		case ch.Held:
			l = append(l, NoticeLine{
				Ja: fmt.Sprintf("添付ファイル「%s」は保留しました: %s（保管ID: %s）", name, ch.Message, ch.ID),
				En: fmt.Sprintf("%q was held: %s (ID %s)", name, ch.English, ch.ID),
			})
		case ch.Withheld && ch.Reason == "executable":
			add("添付ファイル「%s」(実行ファイル) を削除しました", "%q (an executable) was removed", name)
		case ch.Withheld:
			l = append(l, NoticeLine{
				Ja: fmt.Sprintf("添付ファイル「%s」は%s（保管ID: %s）", name, ch.Message, ch.ID),
				En: fmt.Sprintf("%q: %s (ID %s)", name, ch.English, ch.ID),
			})
		default:
			ja, en := actionWords(ch)
			line := NoticeLine{Ja: fmt.Sprintf("添付ファイル「%s」%s", name, ja), En: fmt.Sprintf("%q %s", name, en)}
			if len(ch.Files) == 1 && ch.Files[0].Name != name {
				line.Ja += fmt.Sprintf("（「%s」として添付）", ch.Files[0].Name)
				line.En += fmt.Sprintf(" (attached as %q)", ch.Files[0].Name)
			}
			l = append(l, line)
		}
		l = append(l, calendarNotice(ch, name)...)
	}
	for _, name := range st.encrypted {
		add("暗号化された部分「%s」は内容を確認できないため保留しました", "The encrypted part %q could not be inspected and was held", displayName(name))
	}
	for _, name := range st.failed {
		add("添付ファイル「%s」は処理できなかったため削除しました", "%q could not be processed and was removed", displayName(name))
	}
	if st.alternatives > 0 {
		add("本文の別形式（%d件）を削除しました", "%d alternative versions of the body were removed", st.alternatives)
	}
	if st.unknownCharset > 0 {
		add("本文の文字コードが不明だったため、推定して変換しました", "The body's character set was unknown and was guessed")
	}
	if st.truncated || st.noParts > 0 {
		add("メールの構造が壊れていたため、読み取れた部分のみを処理しました", "The message structure was damaged; only the readable parts were processed")
	}
	return l
}

// actionWords describes what was made of a converted attachment.
func actionWords(ch *outcome) (string, string) {
	switch {
	case ch.Detected == "eml" && ch.Action == "text":
		return "（転送されたメール）を無害化しました", "(a forwarded message) was sanitized"
	case ch.Action == "flatten":
		return "を画像化したPDFに変換しました", "was converted to an image-only PDF"
	case ch.Action == "reencode":
		return "の画像を作り直しました（付加情報を除去）", "was re-encoded from its pixels (metadata removed)"
	case ch.Action == "disarm":
		return "からマクロ等の危険な部分を除去しました", "had macros and other active content removed"
	case ch.Action == "both":
		return "からマクロ等を除去し、画像化したPDFも添付しました", "was disarmed and also attached as an image-only PDF"
	case ch.Action == "text":
		return "をテキストとして作り直しました", "was rewritten as plain text"
	case ch.Action == "strip":
		return "の中身を無害化して作り直しました", "was rebuilt with its contents sanitized"
	}
	return "を無害化しました", "was sanitized"
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
		s = "（名前なし）"
	}
	return s
}
