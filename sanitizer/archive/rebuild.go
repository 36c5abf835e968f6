package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/archive/zipsafe"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// Member is one file found in an archive, handed to a SanitizeFunc.
type Member struct {
	// Name is the path as stored, decoded to UTF-8. It is what the
	// sender wrote and may be hostile ("../../x", bidi controls); use
	// it in reports, never as a path.
	Name     string
	Dir      []string  // the cleaned folders the outputs go in
	Base     string    // the cleaned base name
	Modified time.Time // zero when unknown
	// Body is the decrypted, decompressed content, counted against the
	// limits while it is read. A read error ends the member.
	Body io.Reader
}

// EmitFunc adds one file built from a member: name is its base name (it
// goes in the member's folder), kind what it is.
type EmitFunc func(name string, kind detect.Kind, body io.Reader) error

// Outcome is what became of one member.
type Outcome string

// The outcomes.
const (
	Delivered     Outcome = "delivered"      // sanitized, in the new archive
	Withheld      Outcome = "withheld"       // the sanitizer removed it
	Held          Outcome = "held"           // the sanitizer kept it aside (a nested encrypted file)
	Encrypted     Outcome = "encrypted"      // encrypted and no password was given
	WrongPassword Outcome = "wrong-password" // encrypted and the password given does not open it
	Dropped       Outcome = "dropped"        // a link, device or other non-file
	Damaged       Outcome = "damaged"        // unreadable: bad data, CRC, unsupported method
)

// Verdict is what a SanitizeFunc did with a member: an Outcome
// (Delivered, Withheld or Held) and, when not delivered, the reason code.
type Verdict struct {
	Outcome Outcome
	Reason  string
}

// SanitizeFunc sanitizes one member: it reads m.Body and passes each file
// it builds to emit, after reading the body to its end. An error is for
// failures that are not the member's (a cancelled context, a full disk)
// and ends the whole archive; a withheld member is a Verdict.
type SanitizeFunc func(ctx context.Context, m *Member, emit EmitFunc) (Verdict, error)

// MemberResult records one member for the report.
type MemberResult struct {
	Name    string   `json:"name"`
	Outcome Outcome  `json:"outcome"`
	Reason  string   `json:"reason,omitempty"`
	Detail  string   `json:"detail,omitempty"`
	Outputs []string `json:"outputs,omitempty"` // paths in the new archive
}

// Summary is the account of one archive.
type Summary struct {
	Members []MemberResult
	Written int // files in the new archive (or outputs, for gzip)
	Renamed int // members whose path was cleaned or de-duplicated
	CP932   int // members whose names were decoded from CP932
	// NameMismatch counts zip entries whose local header names a
	// different file than the central directory (a scanner-evasion
	// trick; mugai reads the central directory).
	NameMismatch int
	// Unsafe lists stored paths that tried to leave the archive's folder
	// ("..", absolute paths, drive letters); they were cleaned.
	Unsafe []string
}

// Count returns how many members had outcome o.
func (s *Summary) Count(o Outcome) int {
	n := 0
	for _, m := range s.Members {
		if m.Outcome == o {
			n++
		}
	}
	return n
}

// Error refuses a whole archive; Kind says why.
type Error struct {
	Kind ErrorKind
	Err  error
}

// ErrorKind classifies why an archive was refused.
type ErrorKind int

// The kinds of refusal.
const (
	ErrMalformed ErrorKind = iota + 1 // not a well-formed archive
	ErrLimit                          // a limit reached: entries, bytes, ratio
	ErrOverlap                        // overlapping zip entries (zip bomb)
)

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// formatError marks an archive whose structure mugai refuses; zip, tar
// and gzip alike.
type formatError = zipsafe.FormatError

func refuse(err error) error {
	var le *limitError
	var oe *zipsafe.OverlapError
	switch {
	case errors.As(err, &le):
		return &Error{Kind: ErrLimit, Err: err}
	case errors.As(err, &oe):
		return &Error{Kind: ErrOverlap, Err: err}
	}
	return &Error{Kind: ErrMalformed, Err: err}
}

// Rebuilder opens archives and rebuilds them from their sanitized members.
type Rebuilder struct {
	Options
	// Sanitize is called for each file member.
	Sanitize SanitizeFunc
	// Password opens encrypted zip entries (PPAP); empty for none.
	Password string
	// Tree, if set, is the item tree whose archives share one allowance
	// (the engine's job.Tree); without one the archive has its own.
	Tree *sanitizer.Tree
}

// member runs one file through Sanitize and records the result.
// zipCrypto marks an entry whose data errors mean a wrong password.
func (b *Rebuilder) member(ctx context.Context, sum *Summary, sink *zipSink, name string, mod time.Time, body io.Reader, mr *memberReader, zipCrypto bool) error {
	dirs, base, changed := splitPath(name)
	m := &Member{Name: name, Dir: dirs, Base: base, Modified: mod, Body: body}
	res := MemberResult{Name: name}
	if changed {
		sum.Renamed++
	}
	if unsafePath(name) {
		sum.Unsafe = append(sum.Unsafe, name)
	}
	emitted := 0
	emit := func(outName string, kind detect.Kind, r io.Reader) error {
		p, renamed := sink.names.place(dirs, cleanElem(outName))
		if renamed && !changed {
			changed = true
			sum.Renamed++
		}
		if err := sink.add(p, kind, mod, r); err != nil {
			return err
		}
		emitted++
		res.Outputs = append(res.Outputs, p)
		return nil
	}
	v, err := b.Sanitize(ctx, m, emit)
	if terr := mr.bud.Tripped(); terr != nil {
		return refuse(terr)
	}
	if mr.err != nil {
		if emitted > 0 {
			// The sanitizer wrote outputs before the body failed:
			// they may rest on bad data, so nothing of this archive
			// is delivered.
			return refuse(fmt.Errorf("%s: %w", name, mr.err))
		}
		res.Outcome, res.Detail = Damaged, mr.err.Error()
		if zipCrypto {
			// A wrong password gets past ZipCrypto's check byte once in
			// 256 tries and then decrypts to garbage.
			res.Outcome = WrongPassword
		}
		sum.Members = append(sum.Members, res)
		return nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("archive: %s: %w", name, err)
	}
	res.Outcome, res.Reason = v.Outcome, v.Reason
	if v.Outcome == Delivered && emitted == 0 {
		res.Outcome = Withheld
	}
	if v.Outcome != Delivered && emitted > 0 {
		return fmt.Errorf("archive: %s: outputs emitted for a withheld member", name)
	}
	sum.Members = append(sum.Members, res)
	return nil
}
