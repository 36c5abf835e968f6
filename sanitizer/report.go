package sanitizer

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mugai-project/mugai/internal/catalog"
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
	// Notice is the notice its recipients read: written at the top of a
	// sanitized mail (the mail handler), or sent instead of a withheld
	// one (the relay).
	Notice   string       `json:"notice,omitempty"`
	Outputs  []OutputInfo `json:"outputs,omitempty"`
	Children []*Report    `json:"children,omitempty"`
	Started  time.Time    `json:"started"`
	Timings  Timings      `json:"timings_ms"`
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
	// ReasonMalwareTest withholds the EICAR anti-malware test file, and
	// an output that holds its string, with or without a scanner.
	ReasonMalwareTest = "malware-test"
	// ReasonLostText withholds a flattened PDF on whose pages text did not
	// render (a font that neither the PDF nor the server has).
	ReasonLostText = "render-lost-text"
	// ReasonSandbox withholds an item whose sandbox (PDFium's or
	// pdfcpu's WebAssembly module) could not be started: an internal
	// error of the server (a module that does not compile, a cache
	// folder that cannot be made), not a fault of the file.
	ReasonSandbox = "sandbox-unavailable"
)

// FindingMalware records the signature the scanner matched.
const FindingMalware = "malware"

// NewReason builds a Reason for a code with its words from the catalog
// (the key "reason." + code); a code the catalog does not know gets the
// words of an internal error.
func NewReason(code, detail string) Reason {
	key := "reason." + code
	if !catalog.Has(key) {
		key = "reason." + ReasonInternal
	}
	return Reason{Code: code, Message: catalog.Text(catalog.Japanese, key), English: catalog.Text(catalog.English, key), Detail: detail}
}

// Text is the reason in language lang: the catalog's words for its code,
// or, for a code the catalog no longer knows (an old report), the
// recorded Japanese or English.
func (r Reason) Text(lang string) string {
	if key := "reason." + r.Code; catalog.Has(key) {
		return catalog.Text(lang, key)
	}
	if lang == catalog.Japanese {
		return r.Message
	}
	return r.English
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

// HasReason reports whether the report or any of its children was
// withheld for code.
func (r *Report) HasReason(code string) bool {
	for _, rs := range r.Reasons {
		if rs.Code == code {
			return true
		}
	}
	for _, c := range r.Children {
		if c.HasReason(code) {
			return true
		}
	}
	return false
}

// Summary is a one-line human account of the report in language lang
// (a catalog language; others read Japanese).
func (r *Report) Summary(lang string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s [%s] ", r.Name, r.Detected)
	switch {
	case r.Withheld && r.Action == Hold:
		b.WriteString(catalog.Text(lang, "summary.held"))
	case r.Withheld:
		b.WriteString(catalog.Text(lang, "summary.withheld"))
	default:
		b.WriteString(string(r.Action))
		for _, o := range r.Outputs {
			fmt.Fprintf(&b, " → %s", o.Name)
		}
	}
	for _, rs := range r.Reasons {
		b.WriteString(": ")
		b.WriteString(rs.Text(lang))
	}
	if r.QuarantineID != "" {
		b.WriteString(catalog.Text(lang, "summary.quarantine_id", r.QuarantineID))
	}
	if len(r.Removed) > 0 {
		parts := make([]string, len(r.Removed))
		for i, rm := range r.Removed {
			parts[i] = fmt.Sprintf("%s×%d", rm.What, rm.Count)
		}
		b.WriteString(catalog.Text(lang, "summary.removed", strings.Join(parts, catalog.Text(lang, "list.separator"))))
	}
	return b.String()
}
