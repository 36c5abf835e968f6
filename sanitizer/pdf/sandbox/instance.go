package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/samyfodil/wazy/sys"

	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/sandbox/wire"
)

// ErrCrashed matches (errors.Is) a guest that ended without a verdict: a Go
// fatal error (stack overflow, out of memory), a trap, an unexpected exit
// code, or output that breaks package wire.
var ErrCrashed = errors.New("pdf sandbox: the guest crashed")

// maxStderr bounds what is kept of the guest's stderr: a Result, or the
// head of a Go runtime crash report.
const maxStderr = 1 << 20

// run runs the guest in a fresh instance on the PDF in r with req, and
// returns its Result (whose Err the caller checks) and its stdout. It
// returns the ctx error when ctx ended first, and ErrCrashed when the
// guest gave no verdict.
func (s *Sandbox) run(ctx context.Context, r io.ReadSeeker, req wire.Request) (wire.Result, *cappedBuffer, error) {
	if err := ctx.Err(); err != nil {
		return wire.Result{}, nil, err
	}
	arg, err := json.Marshal(req)
	if err != nil {
		return wire.Result{}, nil, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return wire.Result{}, nil, err
	}
	m, err := s.acquire(ctx)
	if err != nil {
		return wire.Result{}, nil, err
	}
	defer s.release()

	// The guest cannot hold more than its memory, so it cannot mean to
	// write more.
	stdout := &cappedBuffer{max: s.opts.MemoryLimitBytes}
	stderr := &cappedBuffer{max: maxStderr}
	cfg := s.moduleConfig([]string{"guest", string(arg)}, r, stdout, stderr)
	// The guest runs in InstantiateModule, as its start function; ctx
	// ending interrupts it there and closes nothing. The instance is
	// closed only here, after the call returned, never from another
	// goroutine while it runs: wazy recycles a closed module's memory for
	// later instances, and closing one under a running call is what made
	// the renderer memory-unsafe (see sanitizer/render's Pool). With an
	// instance per file, waiting for the return costs nothing.
	mod, runErr := m.rt.InstantiateModule(ctx, m.module, cfg)
	if mod != nil {
		mod.Close(context.Background())
	}
	if err := ctx.Err(); err != nil {
		return wire.Result{}, nil, err
	}
	res, err := verdict(runErr, stdout, stderr)
	if err != nil {
		s.opts.Logger.Warn("pdf sandbox: guest crashed", slog.String("op", req.Op), slog.Any("err", err))
		s.opts.Logger.Debug("pdf sandbox: guest crash report", slog.String("stderr", head(stderr.String(), 4096)))
		return wire.Result{}, nil, err
	}
	return res, stdout, nil
}

// verdict reads the guest's Result, or describes its crash.
func verdict(runErr error, stdout, stderr *cappedBuffer) (wire.Result, error) {
	var exit *sys.ExitError
	switch {
	case errors.As(runErr, &exit):
		return wire.Result{}, crashed(fmt.Sprintf("exit code %d", exit.ExitCode()), stderr)
	case runErr != nil:
		return wire.Result{}, fmt.Errorf("%w: %v", ErrCrashed, runErr)
	case stdout.overflow || stderr.overflow:
		return wire.Result{}, fmt.Errorf("%w: output over its bound", ErrCrashed)
	}
	var res wire.Result
	if err := json.Unmarshal(stderr.Bytes(), &res); err != nil {
		return wire.Result{}, crashed("no result", stderr)
	}
	if res.Error != nil && stdout.Len() > 0 {
		return wire.Result{}, fmt.Errorf("%w: output written with an error", ErrCrashed)
	}
	return res, nil
}

// crashed describes a guest that ended with how, after its runtime
// reported a fatal error on stderr (if it did).
func crashed(how string, stderr *cappedBuffer) error {
	msg := fatalLine(stderr.String())
	// QUIRK: the Go runtime has no exit code for "out of memory"; its
	// fatal error line says it (runtime/malloc.go, throw("out of memory")).
	if strings.Contains(msg, "out of memory") {
		return fmt.Errorf("%w: %w: %s: %s", ErrCrashed, pdf.ErrLimit, how, msg)
	}
	return fmt.Errorf("%w: %s: %s", ErrCrashed, how, msg)
}

// fatalLine picks the line of a Go crash report that says what happened.
func fatalLine(report string) string {
	lines := strings.Split(head(report, 64<<10), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "fatal error: ") || strings.HasPrefix(l, "panic: ") {
			return head(l, 200)
		}
	}
	if len(lines) > 0 && lines[0] != "" {
		return head(lines[0], 200)
	}
	return "no message"
}

func head(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// cappedBuffer is a bytes.Buffer that refuses to grow past max, so that a
// guest cannot make the host hold more than it could hold itself.
type cappedBuffer struct {
	bytes.Buffer
	max      int64
	overflow bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if int64(b.Len())+int64(len(p)) > b.max {
		b.overflow = true
		return 0, errors.New("pdf sandbox: guest output over its bound")
	}
	return b.Buffer.Write(p)
}
