package pdf_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/enginetest"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
)

// These tests run PDFs through the engine with the PDF handler, as mugai
// wires it: inspected, then disarmed or flattened by a real renderer.

func runPDF(t *testing.T, e *sanitizer.Engine, in sanitizer.Input) *sanitizer.Result {
	t.Helper()
	res, err := e.Sanitize(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	return res
}

func removed(rep *sanitizer.Report, what string) int {
	for _, r := range rep.Removed {
		if r.What == what {
			return r.Count
		}
	}
	return 0
}

func TestHandlerFlattensOpenActionJavaScript(t *testing.T) {
	f, ok := pdftest.HostileNamed("OpenActionJavaScript")
	if !ok {
		t.Fatal("no fixture")
	}
	for _, action := range []sanitizer.Action{sanitizer.Flatten, sanitizer.Disarm} {
		t.Run(string(action), func(t *testing.T) {
			e := enginetest.New(t, sanitizer.Options{Policy: sanitizer.Policy{Actions: map[detect.Kind]sanitizer.Action{detect.PDF: action}}}, nil)
			res := runPDF(t, e, sanitizer.Input{Name: "invoice.pdf", Body: bytes.NewReader(f.Bytes)})
			rep := res.Report
			if rep.Withheld || len(res.Outputs) != 1 || res.Outputs[0].Kind != detect.PDF {
				t.Fatalf("report %+v", rep)
			}
			if removed(rep, "javascript") == 0 || removed(rep, "openaction") == 0 {
				t.Errorf("removed %v, want javascript and openaction", rep.Removed)
			}
			rendered := slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "pages rendered") })
			if rendered != (action == sanitizer.Flatten) {
				t.Errorf("notes %v for %s", rep.Notes, action)
			}
		})
	}
}

func TestHandlerEncryptedPDF(t *testing.T) {
	locked, err := pdftest.Encrypt(pdftest.Clean().Bytes, "ppap", "owner")
	if err != nil {
		t.Fatal(err)
	}
	e := enginetest.New(t, sanitizer.Options{}, nil)
	tests := []struct {
		name, password string
		held           string // reason code, or "" for delivered
	}{
		{"no password", "", sanitizer.ReasonEncrypted},
		{"wrong password", "nope", sanitizer.ReasonWrongPassword},
		{"right password", "ppap", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runPDF(t, e, sanitizer.Input{Name: "locked.pdf", Body: bytes.NewReader(locked), Password: tt.password})
			rep := res.Report
			if tt.held != "" {
				if !rep.Withheld || rep.Action != sanitizer.Hold || rep.Reasons[0].Code != tt.held {
					t.Fatalf("report %+v, want held for %s", rep, tt.held)
				}
				return
			}
			if rep.Withheld || len(res.Outputs) != 1 || !slices.Contains(rep.Notes, "the PDF was decrypted before rendering") {
				t.Fatalf("report %+v, want a flattened decrypted copy", rep)
			}
		})
	}
}

// TestHandlerWithoutRendererWithholds: a PDF to be flattened on a server
// given no renderer is withheld, never passed through.
func TestHandlerWithoutRendererWithholds(t *testing.T) {
	e, err := sanitizer.New(sanitizer.Options{
		TempDir:   t.TempDir(),
		Handlers:  pdf.Handlers(pdf.HandlerOptions{}),
		Verifiers: pdf.Verifiers(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	res := runPDF(t, e, sanitizer.Input{Name: "a.pdf", Body: bytes.NewReader(pdftest.Clean().Bytes)})
	if !res.Report.Withheld || res.Report.Reasons[0].Code != sanitizer.ReasonNoHandler || len(res.Outputs) != 0 {
		t.Fatalf("report %+v", res.Report)
	}
}

// TestVerifiersForKeptLinks: with links kept, the PDF check lets /URI
// pass; by default it refuses it.
func TestVerifiersForKeptLinks(t *testing.T) {
	f, ok := pdftest.HostileNamed("URILink")
	if !ok {
		t.Fatal("no fixture")
	}
	ctx := context.Background()
	if err := pdf.Verifiers()[detect.PDF](ctx, bytes.NewReader(f.Bytes), int64(len(f.Bytes))); err == nil {
		t.Error("the default check accepts a /URI link")
	}
	var out bytes.Buffer
	if _, err := pdf.Disarm(ctx, bytes.NewReader(f.Bytes), &out, pdf.DisarmOptions{Links: "keep"}); err != nil {
		t.Fatal(err)
	}
	check := pdf.VerifiersFor(sanitizer.Policy{Actions: map[detect.Kind]sanitizer.Action{detect.PDF: sanitizer.Disarm}, PDF: sanitizer.PDFPolicy{Links: "keep"}})[detect.PDF]
	if err := check(ctx, bytes.NewReader(out.Bytes()), int64(out.Len())); err != nil {
		t.Errorf("the links-kept check refuses a disarmed PDF with its link: %v", err)
	}
}
