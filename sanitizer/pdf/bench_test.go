//go:build unix

package pdf_test

import (
	"testing"

	"github.com/mugai-project/mugai/internal/enginetest"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
	"github.com/mugai-project/mugai/sanitizer/pdf/sandbox"
)

// BenchmarkFlatten flattens the clean 3-page Japanese document through the
// engine with PDFium's inventory alone and with pdfcpu's inventory from
// the sandbox beside the render, in wall time and CPU time per file.
func BenchmarkFlatten(b *testing.B) {
	sb := sandbox.New(sandbox.Options{CacheDir: enginetest.CacheDir()})
	b.Cleanup(func() { sb.Close() })
	in := pdftest.Clean().Bytes
	for _, run := range []struct {
		name      string
		inspector pdf.Inspector
	}{
		{"PDFiumInventory", nil},
		{"WithPDFCPUInventory", sb},
	} {
		b.Run(run.name, func(b *testing.B) {
			e, err := sanitizer.New(sanitizer.Options{
				TempDir:   b.TempDir(),
				Handlers:  pdf.Handlers(pdf.HandlerOptions{Flattener: enginetest.Renderer(b), Inspector: run.inspector}),
				Verifiers: pdf.Verifiers(),
			})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { e.Close() })
			enginetest.MeasureFlatten(b, e, in)
		})
	}
}
