package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
)

// probe runs the test guest in mode on input and returns what Disarm
// returned.
func probe(t *testing.T, ctx context.Context, s *Sandbox, mode string, input []byte) ([]byte, error) {
	t.Helper()
	var out bytes.Buffer
	_, err := s.Disarm(ctx, bytes.NewReader(append([]byte(mode+"\n"), input...)), &out, pdf.DisarmOptions{})
	return out.Bytes(), err
}

// assertAlive shows that the sandbox still disarms after what the test
// did to one of its instances.
func assertAlive(t *testing.T) {
	t.Helper()
	f := pdftest.Hostile()[0]
	got := sandboxed(t.Context(), testSandbox(t), f.Bytes, pdf.DisarmOptions{})
	if got.err != nil || len(got.out) == 0 {
		t.Fatalf("the sandbox no longer disarms: %v", got.err)
	}
}

// TestFilterSelfReferenceStackOverflow feeds pdfcpu, inside the sandbox and
// without package pdf's pre-scan, a stream whose /Filter refers to itself:
// pdfcpu recurses until the Go runtime stops the guest with a fatal stack
// overflow (in process, that kills mugai). The host gets ErrCrashed, and
// the embedded guest, with its pre-scan, refuses the same file.
func TestFilterSelfReferenceStackOverflow(t *testing.T) {
	s := probeSandbox(t, Options{Instances: 1})
	_, err := probe(t, t.Context(), s, "pdfcpu-read", filterSelf())
	if !errors.Is(err, ErrCrashed) || !strings.Contains(err.Error(), "stack overflow") {
		t.Fatalf("err = %v, want ErrCrashed from a stack overflow", err)
	}
	if errors.Is(err, pdf.ErrLimit) {
		t.Errorf("a stack overflow reported as a limit: %v", err)
	}
	got := sandboxed(t.Context(), testSandbox(t), filterSelf(), pdf.DisarmOptions{})
	if got.err == nil || !strings.Contains(got.err.Error(), "indirect reference") {
		t.Errorf("guest err = %v, want the pre-scan's refusal", got.err)
	}
	assertAlive(t)
}

// TestFlateBombEndsAtTheMemoryCap lets a content stream inflate to 512 MiB
// (pdf.Limits raised out of the way) in an instance capped at 128 MiB: the
// guest runs out of memory, the host gets an error that is both
// ErrCrashed and pdf.ErrLimit, and its own heap does not grow by the bomb.
func TestFlateBombEndsAtTheMemoryCap(t *testing.T) {
	s := startSandbox(t, Options{Instances: 1, MemoryLimitBytes: 128 << 20}, mustGuest(t))
	bomb := flateBomb(512 << 20)
	opts := pdf.DisarmOptions{Limits: pdf.Limits{MaxStreamBytes: 4 << 30}}
	got := sandboxed(t.Context(), s, bomb, opts)
	if !errors.Is(got.err, ErrCrashed) || !errors.Is(got.err, pdf.ErrLimit) {
		t.Fatalf("err = %v, want ErrCrashed and pdf.ErrLimit (out of memory)", got.err)
	}
	if !strings.Contains(got.err.Error(), "out of memory") {
		t.Errorf("err = %v, want it to say out of memory", got.err)
	}
	// With the default stream limit, package pdf refuses the bomb itself.
	got = sandboxed(t.Context(), s, bomb, pdf.DisarmOptions{Limits: pdf.Limits{MaxStreamBytes: 8 << 20}})
	if got.err == nil || errors.Is(got.err, ErrCrashed) {
		t.Errorf("err = %v, want package pdf's refusal", got.err)
	}
}

// TestAllocationEndsAtTheMemoryCap runs a guest that allocates without
// bound.
func TestAllocationEndsAtTheMemoryCap(t *testing.T) {
	s := probeSandbox(t, Options{Instances: 1, MemoryLimitBytes: 64 << 20})
	_, err := probe(t, t.Context(), s, "alloc", nil)
	if !errors.Is(err, ErrCrashed) || !errors.Is(err, pdf.ErrLimit) {
		t.Fatalf("err = %v, want ErrCrashed and pdf.ErrLimit", err)
	}
}

// TestDeadlineStopsTheGuest gives a guest that never returns, and the
// corpus's 10,000-page file, a short deadline: both end with the deadline,
// promptly.
func TestDeadlineStopsTheGuest(t *testing.T) {
	s := probeSandbox(t, Options{Instances: 1})
	// Compile (the first call's, which no deadline interrupts) before
	// the clock starts.
	if _, err := probe(t, t.Context(), s, "warm-up", nil); err == nil {
		t.Fatal("the probe accepted an unknown mode")
	}
	const deadline = 200 * time.Millisecond
	start := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), deadline)
	defer cancel()
	if _, err := probe(t, ctx, s, "spin", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("spin: err = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > deadline+2*time.Second {
		t.Errorf("spin: returned %v after a deadline of %v", d, deadline)
	}

	in := readFixture(t, "pdf/10000-pages.pdf")
	start = time.Now()
	ctx, cancel = context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if got := sandboxed(ctx, testSandbox(t), in, pdf.DisarmOptions{Limits: pdf.Limits{MaxPages: 20_000}}); !errors.Is(got.err, context.DeadlineExceeded) || len(got.out) != 0 {
		t.Errorf("10,000 pages: err = %v, %d bytes; want context.DeadlineExceeded and nothing", got.err, len(got.out))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("10,000 pages: returned %v after a deadline of 50ms", d)
	}
	assertAlive(t)
}

// TestGuestSeesNoHostFiles runs a guest that tries to read host files and
// directories (absolute, relative, traversal) and to write one: it can
// open nothing, and its environment holds only what the host passes.
func TestGuestSeesNoHostFiles(t *testing.T) {
	s := probeSandbox(t, Options{Instances: 1})
	out, err := probe(t, t.Context(), s, "files", nil)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Opened, Errors, Environ []string
		Args                    int
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("report %q: %v", out, err)
	}
	if len(r.Opened) != 0 {
		t.Errorf("the guest opened %v", r.Opened)
	}
	if len(r.Errors) != 8 {
		t.Errorf("errors = %q, want 8 refusals", r.Errors)
	}
	if len(r.Environ) != 1 || !strings.HasPrefix(r.Environ[0], "GOMEMLIMIT=") {
		t.Errorf("environment = %q, want GOMEMLIMIT only", r.Environ)
	}
	if r.Args != 2 {
		t.Errorf("%d arguments, want the name and the request", r.Args)
	}
}

// TestGuestWithoutVerdict covers a guest that exits with an error code
// and one that exits 0 without a Result: both are ErrCrashed.
func TestGuestWithoutVerdict(t *testing.T) {
	s := probeSandbox(t, Options{Instances: 1})
	for _, tc := range []struct{ mode, want string }{
		{"exit3", "exit code 3"},
		{"no-result", "no result"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			out, err := probe(t, t.Context(), s, tc.mode, nil)
			if !errors.Is(err, ErrCrashed) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrCrashed with %q", err, tc.want)
			}
			if len(out) != 0 {
				t.Error("output written")
			}
		})
	}
}

func readFixture(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, "corpus", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
