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

// TestHandlerFlattensOpenActionJavaScript: a PDF whose OpenAction runs a
// script is delivered flattened or disarmed, and the report names what
// was removed: the OpenAction and its script, which on the flatten path
// pdfcpu's sandboxed inventory sees (PDFium exposes no OpenAction), and
// the scripts of the document's JavaScript name tree, which PDFium sees.
func TestHandlerFlattensOpenActionJavaScript(t *testing.T) {
	tests := []struct {
		action  sanitizer.Action
		fixture string
		removed []string
	}{
		{sanitizer.Flatten, "OpenActionJavaScript", []string{"javascript", "openaction"}},
		{sanitizer.Flatten, "JavaScriptInObjectStream", []string{"javascript"}},
		{sanitizer.Disarm, "OpenActionJavaScript", []string{"javascript", "openaction"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.action)+"/"+tt.fixture, func(t *testing.T) {
			f, ok := pdftest.HostileNamed(tt.fixture)
			if !ok {
				t.Fatal("no fixture")
			}
			e := enginetest.New(t, sanitizer.Options{Policy: sanitizer.Policy{Actions: map[detect.Kind]sanitizer.Action{detect.PDF: tt.action}}}, nil)
			res := runPDF(t, e, sanitizer.Input{Name: "invoice.pdf", Body: bytes.NewReader(f.Bytes)})
			rep := res.Report
			if rep.Withheld || len(res.Outputs) != 1 || res.Outputs[0].Kind != detect.PDF {
				t.Fatalf("report %+v", rep)
			}
			for _, c := range tt.removed {
				if removed(rep, c) == 0 {
					t.Errorf("removed %v, want %s", rep.Removed, c)
				}
			}
			rendered := slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "pages rendered") })
			if rendered != (tt.action == sanitizer.Flatten) {
				t.Errorf("notes %v for %s", rep.Notes, tt.action)
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

// TestHandlerOwnerPasswordOnlyFlattened: a PDF that restricts printing or
// editing with an owner password but has no open (user) password opens as
// in any viewer and is flattened, not held.
func TestHandlerOwnerPasswordOnlyFlattened(t *testing.T) {
	locked, err := pdftest.Encrypt(pdftest.Clean().Bytes, "", "owner-only")
	if err != nil {
		t.Fatal(err)
	}
	e := enginetest.New(t, sanitizer.Options{}, nil)
	res := runPDF(t, e, sanitizer.Input{Name: "印刷制限.pdf", Body: bytes.NewReader(locked)})
	rep := res.Report
	if rep.Withheld || len(res.Outputs) != 1 || !slices.Contains(rep.Notes, "the PDF was decrypted before rendering") {
		t.Fatalf("report %+v, want a flattened decrypted copy", rep)
	}
}

// TestHandlerLostText: a PDF whose text does not render (a font neither
// it nor the server has) is withheld with render-lost-text naming the
// page and the font, or, with lost_text = "warn", delivered with a warning
// note.
func TestHandlerLostText(t *testing.T) {
	in := pdftest.MissingFont().Bytes
	for _, mode := range []string{"", "withhold", "warn"} {
		t.Run("lost_text="+mode, func(t *testing.T) {
			e := enginetest.New(t, sanitizer.Options{Policy: sanitizer.Policy{PDF: sanitizer.PDFPolicy{LostText: mode}}}, nil)
			res := runPDF(t, e, sanitizer.Input{Name: "通知.pdf", Body: bytes.NewReader(in)})
			rep := res.Report
			if mode == "warn" {
				warned := slices.ContainsFunc(rep.Notes, func(n string) bool {
					return n == "warning: text did not render on page 1 (20 characters, font TimesNewRomanCyr)"
				})
				if rep.Withheld || len(res.Outputs) != 1 || !warned {
					t.Fatalf("report %+v, want delivered with a warning", rep)
				}
				return
			}
			if !rep.Withheld || len(res.Outputs) != 0 || rep.Reasons[0].Code != sanitizer.ReasonLostText ||
				!strings.Contains(rep.Reasons[0].Detail, "page 1 (20 characters, font TimesNewRomanCyr)") {
				t.Fatalf("report %+v, want withheld for %s", rep, sanitizer.ReasonLostText)
			}
		})
	}
}
