package pdf_test

import (
	"bytes"
	"context"
	"io"
	"sync/atomic"
	"testing"

	"github.com/mugai-project/mugai/internal/enginetest"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
	"github.com/mugai-project/mugai/sanitizer/pdf/sandbox"
)

// countingDisarmer is the real sandbox, counting its calls.
type countingDisarmer struct {
	*sandbox.Sandbox
	calls atomic.Int32
}

func (d *countingDisarmer) Disarm(ctx context.Context, r io.ReadSeeker, w io.Writer, opts pdf.DisarmOptions) (pdf.Removed, error) {
	d.calls.Add(1)
	return d.Sandbox.Disarm(ctx, r, w, opts)
}

// pdfEngine builds an engine with the PDF handler alone, given d.
func pdfEngine(t *testing.T, action sanitizer.Action, d pdf.Disarmer) *sanitizer.Engine {
	t.Helper()
	e, err := sanitizer.New(sanitizer.Options{
		Policy:    sanitizer.Policy{Actions: map[detect.Kind]sanitizer.Action{detect.PDF: action}},
		TempDir:   t.TempDir(),
		Handlers:  pdf.Handlers(pdf.HandlerOptions{Flattener: enginetest.Renderer(t), Disarmer: d}),
		Verifiers: pdf.Verifiers(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// TestHandlerDisarmsInTheSandbox: the disarm action, and the decrypted
// rewrite of a PDF opened with its password before it is flattened, go
// through the Disarmer (the WebAssembly sandbox), not pdf.Disarm in
// process.
func TestHandlerDisarmsInTheSandbox(t *testing.T) {
	sb := sandbox.New(sandbox.Options{CacheDir: enginetest.CacheDir()})
	t.Cleanup(func() { sb.Close() })
	locked, err := pdftest.Encrypt(pdftest.Clean().Bytes, "ppap", "owner")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		action   sanitizer.Action
		in       sanitizer.Input
		removed  string
		rendered bool
	}{
		{"Disarm", sanitizer.Disarm, sanitizer.Input{Name: "a.pdf", Body: bytes.NewReader(pdftest.Hostile()[0].Bytes)}, "javascript", false},
		{"DecryptThenFlatten", sanitizer.Flatten, sanitizer.Input{Name: "locked.pdf", Body: bytes.NewReader(locked), Password: "ppap"}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &countingDisarmer{Sandbox: sb}
			res := runPDF(t, pdfEngine(t, tc.action, d), tc.in)
			rep := res.Report
			if rep.Withheld || len(res.Outputs) != 1 {
				t.Fatalf("report %+v", rep)
			}
			if d.calls.Load() != 1 {
				t.Errorf("%d calls to the Disarmer, want 1", d.calls.Load())
			}
			if tc.removed != "" && removed(rep, tc.removed) == 0 {
				t.Errorf("removed %v, want %s", rep.Removed, tc.removed)
			}
		})
	}
}

// TestHandlerWithoutDisarmerWithholds: on a server given no Disarmer, a
// PDF to be disarmed, and an encrypted one to be decrypted before it is
// flattened, are withheld, never disarmed in process.
func TestHandlerWithoutDisarmerWithholds(t *testing.T) {
	locked, err := pdftest.Encrypt(pdftest.Clean().Bytes, "", "owner")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		action sanitizer.Action
		in     []byte
	}{
		{"Disarm", sanitizer.Disarm, pdftest.Clean().Bytes},
		{"DecryptThenFlatten", sanitizer.Flatten, locked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runPDF(t, pdfEngine(t, tc.action, nil), sanitizer.Input{Name: "a.pdf", Body: bytes.NewReader(tc.in)})
			if !res.Report.Withheld || res.Report.Reasons[0].Code != sanitizer.ReasonNoHandler || len(res.Outputs) != 0 {
				t.Fatalf("report %+v", res.Report)
			}
		})
	}
}
