package pdf_test

import (
	"bufio"
	"io"
	"testing"

	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
)

func newBufWriter(w io.Writer) *bufio.Writer { return bufio.NewWriter(w) }

// hostile returns the hostile fixture called name.
func hostile(t testing.TB, name string) pdftest.Fixture {
	t.Helper()
	f, ok := pdftest.HostileNamed(name)
	if !ok {
		t.Fatalf("no hostile fixture %q", name)
	}
	return f
}
