package sandbox

import (
	"bytes"
	"errors"
	"testing"

	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
)

// TestStartsOnFirstUse: New compiles nothing; a guest that cannot be
// loaded fails the Disarm that needs it as a sandbox that cannot start
// (not as a malformed file), and the next one tries again.
func TestStartsOnFirstUse(t *testing.T) {
	loads := 0
	s := newSandbox(Options{Logger: quietLogger()}, func() ([]byte, error) {
		loads++
		return nil, errors.New("no module")
	})
	defer s.Close()
	if loads != 0 {
		t.Fatalf("New loaded the module")
	}
	for range 2 {
		var out bytes.Buffer
		if _, err := s.Disarm(t.Context(), bytes.NewReader(pdftest.Clean().Bytes), &out, pdf.DisarmOptions{}); !errors.Is(err, pdf.ErrSandboxUnavailable) {
			t.Fatalf("Disarm without a module: %v, want pdf.ErrSandboxUnavailable", err)
		}
	}
	if loads != 2 {
		t.Errorf("loaded %d times, want once per call", loads)
	}
}

// TestCompileFailureIsNotTheFile: a guest that does not compile fails
// Disarm and Inventory as a sandbox that cannot start.
func TestCompileFailureIsNotTheFile(t *testing.T) {
	s := newSandbox(Options{CacheDir: t.TempDir(), Logger: quietLogger()}, func() ([]byte, error) {
		return []byte("\x00asm\x01\x00\x00\x00 not a module"), nil
	})
	defer s.Close()
	in := pdftest.Clean().Bytes
	if _, err := s.Disarm(t.Context(), bytes.NewReader(in), new(bytes.Buffer), pdf.DisarmOptions{}); !errors.Is(err, pdf.ErrSandboxUnavailable) {
		t.Errorf("Disarm: %v, want pdf.ErrSandboxUnavailable", err)
	}
	if _, err := s.Inventory(t.Context(), bytes.NewReader(in), pdf.Limits{}); !errors.Is(err, pdf.ErrSandboxUnavailable) {
		t.Errorf("Inventory: %v, want pdf.ErrSandboxUnavailable", err)
	}
}

// TestDisarmAfterClose: Close releases the runtime, later calls fail,
// and a second Close does nothing.
func TestDisarmAfterClose(t *testing.T) {
	s := startSandbox(t, Options{Instances: 1}, mustGuest(t))
	in := pdftest.Clean().Bytes
	var out bytes.Buffer
	if _, err := s.Disarm(t.Context(), bytes.NewReader(in), &out, pdf.DisarmOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if _, err := s.Disarm(t.Context(), bytes.NewReader(in), &out, pdf.DisarmOptions{}); err == nil || out.Len() != 0 {
		t.Errorf("Disarm after Close: %v, %d bytes", err, out.Len())
	}
}
