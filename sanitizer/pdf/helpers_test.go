package pdf_test

import (
	"testing"

	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
)

// hostile returns the hostile fixture called name.
func hostile(t testing.TB, name string) pdftest.Fixture {
	t.Helper()
	f, ok := pdftest.HostileNamed(name)
	if !ok {
		t.Fatalf("no hostile fixture %q", name)
	}
	return f
}
