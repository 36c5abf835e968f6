package sanitizer

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mugai-project/mugai/sanitizer/detect"
)

// Report explains what happened to one item: what it was, what was done,
// why, what was removed, and what came out. It is written as JSON beside
// the outputs, rendered as the Japanese notice in a sanitized mail, and
// shown on the web page.
type Report struct {
	ID           string      `json:"id"`
	Name         string      `json:"name"`
	DeclaredType string      `json:"declared_type,omitempty"`
	Detected     detect.Kind `json:"detected"`
	MediaType    string      `json:"media_type"`
	Charset      string      `json:"charset,omitempty"`
	Size         int64       `json:"size"`
	SHA256       string      `json:"sha256"`
	Depth        int         `json:"depth,omitempty"`
	Action       Action      `json:"action"`
	Withheld     bool        `json:"withheld"`
	// QuarantineID is set by the front door that kept the original.
	QuarantineID string           `json:"quarantine_id,omitempty"`
	Reasons      []Reason         `json:"reasons,omitempty"`
	Findings     []detect.Finding `json:"findings,omitempty"`
	Removed      []Removal        `json:"removed,omitempty"`
	Notes        []string         `json:"notes,omitempty"`
	Outputs      []OutputInfo     `json:"outputs,omitempty"`
	Children     []*Report        `json:"children,omitempty"`
	Started      time.Time        `json:"started"`
	Timings      Timings          `json:"timings_ms"`
}

// Reason says why an item was withheld, in words for people (Japanese
// and English) and a stable code for programs.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	English string `json:"message_en"`
	Detail  string `json:"detail,omitempty"` // technical cause, for administrators
}

// Removal counts one kind of thing taken out of the item, such as
// "javascript" or "exif".
type Removal struct {
	What  string `json:"what"`
	Count int    `json:"count"`
}

// OutputInfo describes one output file.
type OutputInfo struct {
	Name      string      `json:"name"`
	Kind      detect.Kind `json:"kind"`
	MediaType string      `json:"media_type"`
	Size      int64       `json:"size"`
	SHA256    string      `json:"sha256"`
}

// Timings are the milliseconds spent in each step.
type Timings struct {
	Detect float64 `json:"detect"`
	Scan   float64 `json:"scan,omitempty"`
	Act    float64 `json:"act"`
	Verify float64 `json:"verify"`
	Total  float64 `json:"total"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Reason codes.
const (
	ReasonBlockedKind = "blocked-kind"
	ReasonExecutable  = "executable"
	ReasonUnknown     = "unknown-type"
	ReasonEmpty       = "empty"
	ReasonEncrypted   = "encrypted"
	ReasonTooLarge    = "too-large"
	ReasonLimit       = "limit"
	ReasonDepth       = "too-deep"
	ReasonTimeout     = "timeout"
	ReasonMalformed   = "malformed"
	ReasonVerify      = "verify-failed"
	ReasonInternal    = "internal-error"
	ReasonNoHandler   = "no-handler"
	ReasonPolicy      = "policy"
	ReasonArchiveKind = "archive-kind"
	ReasonActive      = "active-content"
	// ReasonWrongPassword holds an encrypted item again when the password
	// supplied does not open it.
	ReasonWrongPassword = "wrong-password"
	// ReasonBomb withholds an archive that unpacks past the limits
	// (entries, total size, ratio) or whose entries overlap.
	ReasonBomb = "archive-bomb"
	// ReasonArchiveEmpty withholds an archive none of whose files could
	// be delivered.
	ReasonArchiveEmpty = "archive-empty"
	// ReasonMalware withholds an item in which the scanner found malware.
	ReasonMalware = "malware"
	// ReasonScanFailed withholds an item the scanner could not judge.
	ReasonScanFailed = "scan-failed"
	// ReasonLostText withholds a flattened PDF on whose pages text did not
	// render (a font that neither the PDF nor the server has).
	ReasonLostText = "render-lost-text"
)

// FindingMalware records the signature the scanner matched.
const FindingMalware = "malware"

// reasonText holds the words for each code: Japanese first, then English.
var reasonText = map[string][2]string{
	ReasonBlockedKind:   {"この種類のファイルは安全に変換できないため削除しました", "this kind of file cannot be made harmless, so it was removed"},
	ReasonExecutable:    {"実行ファイル・スクリプトのため削除しました", "executable or script, removed"},
	ReasonUnknown:       {"ファイルの種類を判別できないため削除しました", "the file type could not be identified, so it was removed"},
	ReasonEmpty:         {"空のファイルのため削除しました", "the file is empty"},
	ReasonEncrypted:     {"パスワード付き(暗号化)のため中身を確認できず、保留しました", "encrypted, so it could not be inspected and was held"},
	ReasonTooLarge:      {"サイズが上限を超えたため削除しました", "larger than the size limit, removed"},
	ReasonLimit:         {"ページ数・画素数などの上限を超えたため削除しました", "over a page, pixel or count limit, removed"},
	ReasonDepth:         {"入れ子が深すぎるため削除しました", "nested too deeply, removed"},
	ReasonTimeout:       {"処理が時間内に終わらなかったため削除しました", "processing did not finish in time, removed"},
	ReasonMalformed:     {"ファイルが壊れているか不正な形式のため削除しました", "malformed or damaged file, removed"},
	ReasonVerify:        {"変換結果の検査に合格しなかったため削除しました", "the converted output failed the safety check, removed"},
	ReasonInternal:      {"内部エラーのため削除しました", "internal error, removed"},
	ReasonNoHandler:     {"この種類のファイルの無害化はこのサーバーで利用できないため削除しました", "sanitizing this kind of file is not available on this server, removed"},
	ReasonPolicy:        {"ポリシーによりこの種類のファイルは削除します", "removed by policy"},
	ReasonArchiveKind:   {"この形式の圧縮ファイル・ディスクイメージは中身を安全に検査できないため削除しました", "this archive or disk image format cannot be inspected safely, removed"},
	ReasonActive:        {"スクリプトや外部参照を含み得る形式のため削除しました", "a format that can carry scripts or external references, removed"},
	ReasonWrongPassword: {"パスワードが正しくないため開けませんでした。保留したままです", "the password does not open the file; it is still held"},
	ReasonBomb:          {"展開後のサイズやファイル数が上限を超える(圧縮爆弾の疑い)ため削除しました", "unpacks past the size or file-count limits (a suspected zip bomb), removed"},
	ReasonMalware:       {"ウイルス・マルウェアが検出されたため削除しました", "malware was found, removed"},
	ReasonScanFailed:    {"ウイルス検査を完了できなかったため削除しました", "the malware scan could not be completed, removed"},
	ReasonArchiveEmpty:  {"圧縮ファイル内のファイルがすべて削除されたため、圧縮ファイルごと削除しました", "every file in the archive was removed, so the archive was removed"},
	ReasonLostText:      {"画像化したページで文字が表示されない(フォントがない)ため削除しました", "text on some pages did not render (a font is missing), removed"},
}

// NewReason builds a Reason for a code with its standard words.
func NewReason(code, detail string) Reason {
	t, ok := reasonText[code]
	if !ok {
		t = reasonText[ReasonInternal]
	}
	return Reason{Code: code, Message: t[0], English: t[1], Detail: detail}
}

// WithheldError is returned by a handler to withhold an item with a
// reason; Hold keeps it aside for a later retry (a password) rather than
// blocking it for good.
type WithheldError struct {
	Reason Reason
	Hold   bool
	Err    error // internal cause, for the log
}

func (e *WithheldError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("withheld (%s): %v", e.Reason.Code, e.Err)
	}
	return fmt.Sprintf("withheld (%s): %s", e.Reason.Code, e.Reason.Detail)
}

func (e *WithheldError) Unwrap() error { return e.Err }

// Withhold returns a *WithheldError blocking the item for code.
func Withhold(code string, err error) error {
	detail := ""
	if err != nil {
		detail = err.Error()
	}
	return &WithheldError{Reason: NewReason(code, detail), Err: err}
}

// HoldFor returns a *WithheldError that holds the item for code.
func HoldFor(code string, err error) error {
	e := Withhold(code, err).(*WithheldError)
	e.Hold = true
	return e
}

// IsHold reports whether err holds the item rather than blocking it.
func IsHold(err error) bool {
	var we *WithheldError
	return errors.As(err, &we) && we.Hold
}

// Summary is a one-line human account of the report, in Japanese when
// lang is "ja" and English otherwise.
func (r *Report) Summary(lang string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s [%s] ", r.Name, r.Detected)
	ja := lang == "ja"
	switch {
	case r.Withheld && r.Action == Hold:
		b.WriteString(pick(ja, "保留", "held"))
	case r.Withheld:
		b.WriteString(pick(ja, "削除", "withheld"))
	default:
		b.WriteString(string(r.Action))
		for _, o := range r.Outputs {
			fmt.Fprintf(&b, " → %s", o.Name)
		}
	}
	for _, rs := range r.Reasons {
		b.WriteString(": ")
		b.WriteString(pick(ja, rs.Message, rs.English))
	}
	if r.QuarantineID != "" {
		fmt.Fprintf(&b, pick(ja, "（保管ID: %s）", " (quarantine ID: %s)"), r.QuarantineID)
	}
	if len(r.Removed) > 0 {
		b.WriteString(pick(ja, " (除去: ", " (removed: "))
		for i, rm := range r.Removed {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s×%d", rm.What, rm.Count)
		}
		b.WriteString(")")
	}
	return b.String()
}

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}
