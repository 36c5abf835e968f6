package sanitizer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/enginetest"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// newTestEngine builds an engine with the PDF, image and text handlers
// and checks (most tests run small text items); opts.Handlers take
// precedence.
func newTestEngine(t *testing.T, opts sanitizer.Options) *sanitizer.Engine {
	t.Helper()
	return enginetest.New(t, opts, nil)
}

func run(t *testing.T, e *sanitizer.Engine, name string, data []byte) *sanitizer.Result {
	t.Helper()
	res, err := e.Sanitize(context.Background(), sanitizer.Input{Name: name, Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("Sanitize(%s): %v", name, err)
	}
	t.Cleanup(func() { res.Close() })
	return res
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{200, 10, 10, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSanitizeExecutableBlocked(t *testing.T) {
	e := newTestEngine(t, sanitizer.Options{})
	exe := append([]byte("MZ\x90\x00"), make([]byte, 200)...)
	res := run(t, e, "report.pdf.exe", exe)
	rep := res.Report
	if !rep.Withheld || rep.Action != sanitizer.Block || len(res.Outputs) != 0 {
		t.Fatalf("report %+v", rep)
	}
	if rep.Reasons[0].Code != sanitizer.ReasonExecutable || rep.Reasons[0].Message == "" {
		t.Errorf("reason %+v", rep.Reasons)
	}
	if !hasFinding(rep, detect.FindingDoubleExt) {
		t.Errorf("findings %v lack the double extension", rep.Findings)
	}
	if res.Original == nil || res.Original.Size() != int64(len(exe)) {
		t.Error("the original is not kept for the quarantine")
	}
}

func TestSanitizeTooLarge(t *testing.T) {
	e := newTestEngine(t, sanitizer.Options{Policy: sanitizer.Policy{Limits: sanitizer.Limits{MaxInputBytes: 1000}}})
	res := run(t, e, "big.txt", bytes.Repeat([]byte("a"), 5000))
	if !res.Report.Withheld || res.Report.Reasons[0].Code != sanitizer.ReasonTooLarge {
		t.Fatalf("report %+v", res.Report)
	}
}

func TestPolicyOverridesBlock(t *testing.T) {
	e := newTestEngine(t, sanitizer.Options{Policy: sanitizer.Policy{Actions: map[detect.Kind]sanitizer.Action{detect.PNG: sanitizer.Block}}})
	res := run(t, e, "a.png", pngBytes(t))
	if !res.Report.Withheld || res.Report.Reasons[0].Code != sanitizer.ReasonPolicy {
		t.Fatalf("report %+v", res.Report)
	}
}

// fault handlers inject failures that real formats cannot produce on demand.
func TestHandlerFaultsWithhold(t *testing.T) {
	tests := []struct {
		name   string
		h      sanitizer.HandlerFunc
		reason string
	}{
		{"panic", func(ctx context.Context, j *sanitizer.Job) error { panic("boom") }, sanitizer.ReasonInternal},
		{"timeout", func(ctx context.Context, j *sanitizer.Job) error { <-ctx.Done(); return ctx.Err() }, sanitizer.ReasonTimeout},
		{"no output", func(ctx context.Context, j *sanitizer.Job) error { return nil }, sanitizer.ReasonInternal},
		{"plain error", func(ctx context.Context, j *sanitizer.Job) error { return io.ErrUnexpectedEOF }, sanitizer.ReasonMalformed},
		{"verify fails", func(ctx context.Context, j *sanitizer.Job) error {
			// Claims a PNG but writes something else: the second check catches it.
			o := j.Create(".png", detect.PNG)
			_, err := io.Copy(o, j.Input.Open())
			return err
		}, sanitizer.ReasonVerify},
		{"not an output kind", func(ctx context.Context, j *sanitizer.Job) error {
			o := j.Create(".exe", detect.EXE)
			_, err := o.Write([]byte("MZ"))
			return err
		}, sanitizer.ReasonVerify},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEngine(t, sanitizer.Options{
				Policy:   sanitizer.Policy{Limits: sanitizer.Limits{Timeout: sanitizer.Duration{200 * time.Millisecond}}},
				Handlers: map[detect.Kind]sanitizer.Handler{detect.Text: tt.h},
			})
			res := run(t, e, "a.txt", []byte("hello\n"))
			if !res.Report.Withheld || len(res.Outputs) != 0 {
				t.Fatalf("not withheld: %+v", res.Report)
			}
			if got := res.Report.Reasons[0].Code; got != tt.reason {
				t.Errorf("reason %s, want %s", got, tt.reason)
			}
		})
	}
}

func TestChildDepthLimit(t *testing.T) {
	var nest sanitizer.HandlerFunc
	nest = func(ctx context.Context, j *sanitizer.Job) error {
		// Each level wraps itself once more, like a zip in a zip.
		res, err := j.Child(ctx, sanitizer.Input{Name: "inner.txt", Body: strings.NewReader("nested\n")})
		if err != nil {
			return err
		}
		defer res.Close()
		if res.Report.Withheld {
			return sanitizer.Withhold(res.Report.Reasons[0].Code, nil)
		}
		o := j.Create(".txt", detect.Text)
		_, err = io.Copy(o, res.Outputs[0].Open())
		return err
	}
	e := newTestEngine(t, sanitizer.Options{Policy: sanitizer.Policy{Limits: sanitizer.Limits{MaxDepth: 3}}, Handlers: map[detect.Kind]sanitizer.Handler{detect.Text: nest}})
	res := run(t, e, "outer.txt", []byte("outer\n"))
	if !res.Report.Withheld || res.Report.Reasons[0].Code != sanitizer.ReasonDepth {
		t.Fatalf("report %+v", res.Report)
	}
	depth := 0
	for r := res.Report; len(r.Children) > 0; r = r.Children[0] {
		depth++
	}
	if depth != 4 {
		t.Errorf("report nests %d levels, want 4 (the fourth refused)", depth)
	}
}

func TestReportJSON(t *testing.T) {
	e := newTestEngine(t, sanitizer.Options{})
	res := run(t, e, "invoice\u202Efdp.exe", []byte("MZ"+strings.Repeat("\x00", 100)))
	b, err := json.Marshal(res.Report)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "name", "detected", "sha256", "action", "withheld", "reasons", "findings", "timings_ms"} {
		if _, ok := back[k]; !ok {
			t.Errorf("report JSON lacks %q: %s", k, b)
		}
	}
}

func hasFinding(r *sanitizer.Report, code string) bool {
	for _, f := range r.Findings {
		if f.Code == code {
			return true
		}
	}
	return false
}

func TestBlockedKindsExplained(t *testing.T) {
	e := newTestEngine(t, sanitizer.Options{})
	tests := []struct {
		name   string
		data   []byte
		reason string
	}{
		{"a.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), sanitizer.ReasonActive},
		{"a.xml", []byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>`), sanitizer.ReasonActive},
		{"a.7z", []byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C, 0, 4, 1, 2, 3}, sanitizer.ReasonArchiveKind},
		{"run.sh", []byte("#!/bin/sh\nrm -rf /\n"), sanitizer.ReasonExecutable},
		{"empty.txt", nil, sanitizer.ReasonEmpty},
		{"blob.bin", []byte{0, 1, 2, 3, 0xFF, 0, 0, 0x80, 0x81}, sanitizer.ReasonUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, e, tt.name, tt.data)
			if !res.Report.Withheld || len(res.Outputs) != 0 {
				t.Fatalf("not withheld: %+v", res.Report)
			}
			if r := res.Report.Reasons[0]; r.Code != tt.reason || r.Message == "" || r.English == "" {
				t.Errorf("reason %+v, want code %s with words", r, tt.reason)
			}
		})
	}
}

func TestNestedItemsKnowTheirRootID(t *testing.T) {
	var seen []string
	var h sanitizer.HandlerFunc
	h = func(ctx context.Context, j *sanitizer.Job) error {
		seen = append(seen, j.ID())
		if j.Depth < 2 {
			res, err := j.Child(ctx, sanitizer.Input{Name: "inner.txt", Body: strings.NewReader("x\n")})
			if err != nil {
				return err
			}
			res.Close()
		}
		_, err := j.Create(".txt", detect.Text).Write([]byte("ok\n"))
		return err
	}
	e := newTestEngine(t, sanitizer.Options{Handlers: map[detect.Kind]sanitizer.Handler{detect.Text: h}})
	res, err := e.Sanitize(context.Background(), sanitizer.Input{Name: "a.txt", ID: "msg-1", Body: strings.NewReader("a\n")})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if res.Report.ID != "msg-1" {
		t.Errorf("report ID %q, want the given msg-1", res.Report.ID)
	}
	if len(seen) != 3 || seen[0] != "msg-1" || seen[1] != "msg-1" || seen[2] != "msg-1" {
		t.Errorf("root IDs seen %v, want msg-1 at every level", seen)
	}
	if res.Report.Children[0].ID == "msg-1" {
		t.Error("a nested item reuses the top-level item's ID")
	}
}

// scannerFunc injects a scanner verdict; the real clamd client is tested
// against clamd itself.
type scannerFunc func(ctx context.Context, r io.Reader) (string, error)

func (f scannerFunc) Scan(ctx context.Context, r io.Reader) (string, error) { return f(ctx, r) }

func TestScannerVerdictWithholds(t *testing.T) {
	tests := []struct {
		name   string
		scan   scannerFunc
		reason string
	}{
		{"infected", func(ctx context.Context, r io.Reader) (string, error) { return "Eicar-Test-Signature", nil }, sanitizer.ReasonMalware},
		{"scan fails", func(ctx context.Context, r io.Reader) (string, error) { return "", io.ErrClosedPipe }, sanitizer.ReasonScanFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEngine(t, sanitizer.Options{Scanner: tt.scan})
			res := run(t, e, "a.txt", []byte("hello\n"))
			if !res.Report.Withheld || res.Report.Reasons[0].Code != tt.reason {
				t.Fatalf("report %+v", res.Report)
			}
		})
	}
	clean := newTestEngine(t, sanitizer.Options{Scanner: scannerFunc(func(ctx context.Context, r io.Reader) (string, error) {
		_, err := io.Copy(io.Discard, r)
		return "", err
	})})
	if res := run(t, clean, "a.txt", []byte("hello\n")); res.Report.Withheld {
		t.Fatalf("clean item withheld: %+v", res.Report)
	}
}

// TestScannerSeesOutputs: a scanner that only knows the rewritten form
// (as with a test string in UTF-16 that becomes UTF-8) still stops it.
func TestScannerSeesOutputs(t *testing.T) {
	e := newTestEngine(t, sanitizer.Options{Scanner: scannerFunc(func(ctx context.Context, r io.Reader) (string, error) {
		b, err := io.ReadAll(r)
		if bytes.Contains(b, []byte("MARKER")) {
			return "Test.Marker", err
		}
		return "", err
	})})
	utf16 := []byte{0xFF, 0xFE}
	for _, c := range "MARKER line\n" {
		utf16 = append(utf16, byte(c), 0)
	}
	res := run(t, e, "a.txt", utf16)
	if !res.Report.Withheld || res.Report.Reasons[0].Code != sanitizer.ReasonMalware {
		t.Fatalf("report %+v", res.Report)
	}
}

// TestEICARWithoutScanner: the EICAR test file, an operator's first test
// of a gateway, is withheld for malware-test with no scanner at all, and
// with a scanner beside the scanner's own verdict.
func TestEICARWithoutScanner(t *testing.T) {
	eicar := []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$` + `EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*` + "\r\n")
	codes := func(rep *sanitizer.Report) []string {
		var c []string
		for _, r := range rep.Reasons {
			c = append(c, r.Code)
		}
		return c
	}
	bare := newTestEngine(t, sanitizer.Options{})
	res := run(t, bare, "eicar.com", eicar)
	if !res.Report.Withheld || len(res.Outputs) > 0 || !slices.Equal(codes(res.Report), []string{sanitizer.ReasonMalwareTest}) {
		t.Fatalf("without a scanner: report %+v", res.Report)
	}
	scanned := newTestEngine(t, sanitizer.Options{Scanner: scannerFunc(func(ctx context.Context, r io.Reader) (string, error) {
		return "Eicar-Test-Signature", nil
	})})
	res = run(t, scanned, "eicar.com", eicar)
	if !res.Report.Withheld || !slices.Equal(codes(res.Report), []string{sanitizer.ReasonMalware, sanitizer.ReasonMalwareTest}) {
		t.Fatalf("with a scanner: report %+v", res.Report)
	}
}
