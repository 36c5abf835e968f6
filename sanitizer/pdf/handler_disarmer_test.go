package pdf_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/mugai-project/mugai/internal/catalog"
	"github.com/mugai-project/mugai/internal/enginetest"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
	"github.com/mugai-project/mugai/sanitizer/pdf/sandbox"
	"github.com/mugai-project/mugai/sanitizer/render"
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

// TestHandlerDisarmsInTheSandbox: the disarm action goes through the
// Disarmer (the WebAssembly sandbox), not pdf.Disarm in process, for a
// plain PDF and for one opened with its password; without the password
// the sandbox's verdict holds it. A PDF opened with its password to be
// flattened goes to PDFium with the password and never to the Disarmer.
func TestHandlerDisarmsInTheSandbox(t *testing.T) {
	sb := sandbox.New(sandbox.Options{CacheDir: enginetest.CacheDir()})
	t.Cleanup(func() { sb.Close() })
	locked, err := pdftest.Encrypt(pdftest.Clean().Bytes, "ppap", "owner")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		action  sanitizer.Action
		in      sanitizer.Input
		removed string
		calls   int32
		held    string // the hold reason, "" for an output
	}{
		{"Disarm", sanitizer.Disarm, sanitizer.Input{Name: "a.pdf", Body: bytes.NewReader(pdftest.Hostile()[0].Bytes)}, "javascript", 1, ""},
		{"DisarmWithPassword", sanitizer.Disarm, sanitizer.Input{Name: "locked.pdf", Body: bytes.NewReader(locked), Password: "ppap"}, "", 1, ""},
		{"DisarmWithoutPassword", sanitizer.Disarm, sanitizer.Input{Name: "locked.pdf", Body: bytes.NewReader(locked)}, "", 1, sanitizer.ReasonEncrypted},
		{"FlattenWithPassword", sanitizer.Flatten, sanitizer.Input{Name: "locked.pdf", Body: bytes.NewReader(locked), Password: "ppap"}, "", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &countingDisarmer{Sandbox: sb}
			res := runPDF(t, pdfEngine(t, tc.action, d), tc.in)
			rep := res.Report
			switch {
			case tc.held != "":
				if !rep.Withheld || rep.Action != sanitizer.Hold || rep.Reasons[0].Code != tc.held || len(res.Outputs) != 0 {
					t.Fatalf("report %+v, want held as %s", rep, tc.held)
				}
			case rep.Withheld || len(res.Outputs) != 1:
				t.Fatalf("report %+v", rep)
			}
			if d.calls.Load() != tc.calls {
				t.Errorf("%d calls to the Disarmer, want %d", d.calls.Load(), tc.calls)
			}
			if tc.removed != "" && removed(rep, tc.removed) == 0 {
				t.Errorf("removed %v, want %s", rep.Removed, tc.removed)
			}
		})
	}
}

// TestHandlerWithoutDisarmerWithholds: on a server given no Disarmer, a
// PDF to be disarmed is withheld, never disarmed in process; flattening,
// an owner-password PDF's included, needs no Disarmer.
func TestHandlerWithoutDisarmerWithholds(t *testing.T) {
	locked, err := pdftest.Encrypt(pdftest.Clean().Bytes, "", "owner")
	if err != nil {
		t.Fatal(err)
	}
	res := runPDF(t, pdfEngine(t, sanitizer.Disarm, nil), sanitizer.Input{Name: "a.pdf", Body: bytes.NewReader(pdftest.Clean().Bytes)})
	if !res.Report.Withheld || res.Report.Reasons[0].Code != sanitizer.ReasonNoHandler || len(res.Outputs) != 0 {
		t.Fatalf("disarm without a Disarmer: report %+v", res.Report)
	}
	res = runPDF(t, pdfEngine(t, sanitizer.Flatten, nil), sanitizer.Input{Name: "a.pdf", Body: bytes.NewReader(locked)})
	if res.Report.Withheld || len(res.Outputs) != 1 {
		t.Fatalf("flattening an owner-password PDF without a Disarmer: report %+v", res.Report)
	}
}

// TestHandlerWithholdsWhenTheSandboxCannotStart: when the sandbox that
// would read the PDF cannot be started (here its compiled-module cache
// folder cannot be made, as on a server whose cache path is a file), the
// item is withheld as an internal error of the server, not as a
// malformed file: for the disarm sandbox and for the renderer's.
func TestHandlerWithholdsWhenTheSandboxCannotStart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-folder")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(file, "cache")
	sb := sandbox.New(sandbox.Options{CacheDir: cache})
	t.Cleanup(func() { sb.Close() })
	renderer := render.NewFlattener(render.Options{CacheDir: cache})
	t.Cleanup(func() { renderer.Close() })
	for _, tc := range []struct {
		name   string
		action sanitizer.Action
		opts   pdf.HandlerOptions
	}{
		{"Disarm", sanitizer.Disarm, pdf.HandlerOptions{Flattener: enginetest.Renderer(t), Disarmer: sb}},
		{"Flatten", sanitizer.Flatten, pdf.HandlerOptions{Flattener: renderer}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := sanitizer.New(sanitizer.Options{
				Policy:    sanitizer.Policy{Actions: map[detect.Kind]sanitizer.Action{detect.PDF: tc.action}},
				TempDir:   t.TempDir(),
				Handlers:  pdf.Handlers(tc.opts),
				Verifiers: pdf.Verifiers(),
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { e.Close() })
			rep := runPDF(t, e, sanitizer.Input{Name: "a.pdf", Body: bytes.NewReader(pdftest.Clean().Bytes)}).Report
			if !rep.Withheld || len(rep.Reasons) == 0 || rep.Reasons[0].Code != sanitizer.ReasonSandbox {
				t.Fatalf("report %+v, want withheld as %s", rep, sanitizer.ReasonSandbox)
			}
			if got, want := rep.Reasons[0].Text(catalog.English), catalog.Text(catalog.English, "reason."+sanitizer.ReasonSandbox); got != want {
				t.Errorf("reason %q, want the catalog's %q", got, want)
			}
		})
	}
}
