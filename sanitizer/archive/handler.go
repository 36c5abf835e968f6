package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mugai-project/mugai/internal/spill"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// Finding codes recorded on the archive's report.
const (
	FindingEncryptedEntry = "archive-encrypted-entry"
	FindingWrongPassword  = "archive-wrong-password"
	FindingDropped        = "archive-link-or-device"
	FindingDamaged        = "archive-damaged-entry"
	FindingUnsafePath     = "archive-unsafe-path"
	FindingOverlap        = "zip-overlapping-entries"
	FindingNameMismatch   = "zip-local-name-mismatch"
)

// Handlers returns the engine handlers for zip, gzip and tar. A zip or
// tar becomes a new zip of its sanitized files; a gzip becomes its one
// sanitized file. Each file goes through the engine again with
// job.Child, so every policy, limit and check applies to it, with the
// nesting depth counted by the engine.
func Handlers(opts Options) map[detect.Kind]sanitizer.Handler {
	h := &handler{opts: opts.withDefaults()}
	return map[detect.Kind]sanitizer.Handler{
		detect.Zip:  sanitizer.HandlerFunc(h.zip),
		detect.Gzip: sanitizer.HandlerFunc(h.gzip),
		detect.Tar:  sanitizer.HandlerFunc(h.tar),
	}
}

type handler struct{ opts Options }

func (h *handler) rebuilder(job *sanitizer.Job) *Rebuilder {
	return &Rebuilder{Options: h.opts, Password: job.Password, Sanitize: childFunc(job), Tree: job.Tree}
}

func (h *handler) zip(ctx context.Context, job *sanitizer.Job) error {
	out := job.CreateNamed(detect.WithExt(job.Name, ".zip"), detect.Zip)
	sum, err := h.rebuilder(job).Zip(ctx, job.Input, job.Input.Size(), out)
	return finish(job, sum, err)
}

func (h *handler) tar(ctx context.Context, job *sanitizer.Job) error {
	out := job.CreateNamed(detect.WithExt(job.Name, ".zip"), detect.Zip)
	job.Note("tar をZIP形式に作り直しました (the tar archive was rebuilt as a zip)")
	sum, err := h.rebuilder(job).Tar(ctx, job.Input.Open(), out)
	return finish(job, sum, err)
}

func (h *handler) gzip(ctx context.Context, job *sanitizer.Job) error {
	sum, err := h.rebuilder(job).Gzip(ctx, job.Input.Open(), job.Input.Size(), job.Name,
		func(name string, kind detect.Kind, body io.Reader) error {
			_, err := io.Copy(job.CreateNamed(name, kind), body)
			return err
		})
	return finish(job, sum, err)
}

// childFunc sanitizes a member through the engine, one level deeper.
func childFunc(job *sanitizer.Job) SanitizeFunc {
	return func(ctx context.Context, m *Member, emit EmitFunc) (Verdict, error) {
		res, err := job.Child(ctx, sanitizer.Input{Name: m.Name, Body: m.Body})
		if err != nil {
			return Verdict{}, err
		}
		defer res.Close()
		rep := res.Report
		if rep.Withheld {
			v := Verdict{Outcome: Withheld}
			if rep.Action == sanitizer.Hold {
				v.Outcome = Held
			}
			if len(rep.Reasons) > 0 {
				v.Reason = rep.Reasons[0].Code
			}
			return v, nil
		}
		for _, o := range res.Outputs {
			if err := emit(o.Name, o.Kind, o.Open()); err != nil {
				return Verdict{}, err
			}
		}
		return Verdict{Outcome: Delivered}, nil
	}
}

// finish records the summary on the report and decides the item's fate.
func finish(job *sanitizer.Job, sum *Summary, err error) error {
	if sum != nil {
		record(job, sum)
	}
	var ae *Error
	switch {
	case err == nil:
	case errors.As(err, &ae) && ae.Kind == ErrOverlap:
		job.Find(FindingOverlap, ae.Error())
		return sanitizer.Withhold(sanitizer.ReasonBomb, err)
	case errors.As(err, &ae) && ae.Kind == ErrLimit:
		return sanitizer.Withhold(sanitizer.ReasonBomb, err)
	case errors.As(err, &ae):
		return sanitizer.Withhold(sanitizer.ReasonMalformed, err)
	case errors.Is(err, spill.ErrTooLarge):
		return sanitizer.Withhold(sanitizer.ReasonTooLarge, err)
	default:
		return err
	}
	if sum.Written > 0 {
		return nil
	}
	// Nothing left to deliver. An archive with a file still locked by a
	// password is held, so that it can be run again with one.
	for _, m := range sum.Members {
		if m.Outcome == WrongPassword {
			return sanitizer.HoldFor(sanitizer.ReasonWrongPassword, fmt.Errorf("%s: %s", m.Name, m.Detail))
		}
	}
	for _, m := range sum.Members {
		switch m.Outcome {
		case Encrypted:
			return sanitizer.HoldFor(sanitizer.ReasonEncrypted, fmt.Errorf("%s: %s; a password can be supplied to open it", m.Name, m.Detail))
		case Held:
			code := m.Reason
			if code == "" {
				code = sanitizer.ReasonEncrypted
			}
			return sanitizer.HoldFor(code, fmt.Errorf("%s is held", m.Name))
		}
	}
	var why []string
	for _, m := range sum.Members {
		if len(why) == 10 {
			why = append(why, "…")
			break
		}
		why = append(why, m.Name+": "+string(m.Outcome)+" "+m.Reason)
	}
	return sanitizer.Withhold(sanitizer.ReasonArchiveEmpty, errors.New(strings.TrimSpace(strings.Join(why, "; "))))
}

// record writes what happened to the members that never reached the
// engine (their own reports are the archive report's children) as
// findings, and the rest as counts and notes.
func record(job *sanitizer.Job, sum *Summary) {
	removed := 0
	for _, m := range sum.Members {
		switch m.Outcome {
		case Encrypted:
			job.Find(FindingEncryptedEntry, m.Name+": "+m.Detail)
		case WrongPassword:
			job.Find(FindingWrongPassword, m.Name+": "+m.Detail)
		case Dropped:
			job.Find(FindingDropped, m.Name+": "+m.Detail)
		case Damaged:
			job.Find(FindingDamaged, m.Name+": "+m.Detail)
		}
		if m.Outcome != Delivered {
			removed++
		}
	}
	job.Removed("archive-entry", removed)
	for _, p := range sum.Unsafe {
		job.Find(FindingUnsafePath, p)
	}
	if sum.NameMismatch > 0 {
		job.Find(FindingNameMismatch, fmt.Sprintf("%d entries name a different file in their local header", sum.NameMismatch))
	}
	if sum.CP932 > 0 {
		job.Note(fmt.Sprintf("%d個のファイル名をShift_JIS(CP932)からUTF-8に変換しました (%d names decoded from CP932)", sum.CP932, sum.CP932))
	}
	if sum.Renamed > 0 {
		job.Note(fmt.Sprintf("%d個のファイル名・フォルダ名を安全な名前に変えました (%d paths cleaned or de-duplicated)", sum.Renamed, sum.Renamed))
	}
	if removed > 0 && sum.Written > 0 {
		job.Note(fmt.Sprintf("%d個中%d個のファイルを届けます (%d of %d files delivered)", len(sum.Members), sum.Count(Delivered), sum.Count(Delivered), len(sum.Members)))
	}
}
