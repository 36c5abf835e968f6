// Package wire is the message format between mugai and the PDF disarm
// guest that runs in its WebAssembly sandbox (see package sandbox).
//
// The guest is a WASI preview 1 command. It reads the PDF on stdin and
// its Request, as JSON, from its first argument; it writes the disarmed
// PDF (for OpDisarm; nothing for OpInspect) to stdout and one Result, as
// JSON, to stderr, then exits with code 0. Any other exit (a Go runtime fatal error, a trap, out of memory) is
// a crash, and its stderr is the runtime's own message.
package wire

import (
	"errors"

	"github.com/mugai-project/mugai/sanitizer/pdf"
)

// Operations of a Request.
const (
	OpDisarm  = "disarm"  // pdf.Disarm with Options
	OpInspect = "inspect" // pdf.Inspect within Limits
)

// Request is what the guest is asked to do.
type Request struct {
	Op      string            `json:"op"`
	Options pdf.DisarmOptions `json:"options,omitzero"` // for OpDisarm
	Limits  pdf.Limits        `json:"limits,omitzero"`  // for OpInspect
}

// Error kinds in a Result: each one maps onto an error value of package
// pdf that callers test with errors.Is or errors.As.
const (
	KindEncrypted = "encrypted" // *pdf.EncryptedError
	KindLimit     = "limit"     // pdf.ErrLimit
	KindRefused   = "refused"   // any other error: malformed, refused, bad option
)

// Result is the guest's answer. Error is empty on success, and then
// Removed and stdout (the disarmed PDF) answer OpDisarm, Info answers
// OpInspect; otherwise stdout is empty.
type Result struct {
	Removed pdf.Removed `json:"removed"`
	Info    *pdf.Info   `json:"info,omitempty"`
	Error   *Error      `json:"error,omitempty"`
}

// Error is a failed disarm, as the guest saw it.
type Error struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// UserPassword is EncryptedError.UserPassword: a document open
	// password is needed (or the one given is wrong).
	UserPassword bool `json:"user_password,omitempty"`
}

// NewResult describes the outcome of pdf.Disarm.
func NewResult(removed pdf.Removed, err error) Result {
	if err == nil {
		return Result{Removed: removed}
	}
	return failed(err)
}

// NewInfoResult describes the outcome of pdf.Inspect.
func NewInfoResult(info pdf.Info, err error) Result {
	if err == nil {
		return Result{Info: &info}
	}
	return failed(err)
}

// failed describes an error of pdf.Disarm or pdf.Inspect.
func failed(err error) Result {
	var ee *pdf.EncryptedError
	switch {
	case errors.As(err, &ee):
		msg := ""
		if ee.Err != nil {
			msg = ee.Err.Error()
		}
		return Result{Error: &Error{Kind: KindEncrypted, Message: msg, UserPassword: ee.UserPassword}}
	case errors.Is(err, pdf.ErrLimit):
		return Result{Error: &Error{Kind: KindLimit, Message: err.Error()}}
	}
	return Result{Error: &Error{Kind: KindRefused, Message: err.Error()}}
}

// Err returns the error the guest reported, as the same kind of value
// pdf.Disarm and pdf.Inspect return, or nil.
func (r Result) Err() error {
	e := r.Error
	if e == nil {
		return nil
	}
	switch e.Kind {
	case KindEncrypted:
		return &pdf.EncryptedError{UserPassword: e.UserPassword, Err: errors.New(e.Message)}
	case KindLimit:
		return &reported{msg: e.Message, is: pdf.ErrLimit}
	}
	return &reported{msg: e.Message}
}

// reported is an error message from the guest; is, when set, is the
// sentinel it matched there.
type reported struct {
	msg string
	is  error
}

func (e *reported) Error() string { return e.msg }

func (e *reported) Unwrap() error { return e.is }
