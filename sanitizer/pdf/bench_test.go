//go:build unix

package pdf_test

import (
	"bytes"
	"testing"

	"github.com/mugai-project/mugai/internal/cputime"
	"github.com/mugai-project/mugai/internal/enginetest"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
	"github.com/mugai-project/mugai/sanitizer/pdf/sandbox"
)

// BenchmarkFlatten flattens the clean 3-page Japanese document through the
// engine with PDFium's inventory alone and with pdfcpu's inventory from
// the sandbox beside the render. Besides wall time it reports the
// process's CPU time per file (cpu-ms/file), which a busy machine
// disturbs less.
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
			flatten := func() {
				res, err := e.Sanitize(b.Context(), sanitizer.Input{Name: "a.pdf", Body: bytes.NewReader(in)})
				if err != nil {
					b.Fatal(err)
				}
				if res.Report.Withheld {
					b.Fatalf("withheld: %+v", res.Report.Reasons)
				}
				res.Close()
			}
			flatten() // start the renderer and the sandbox before b.Loop starts the clock
			cpu0 := cputime.Process()
			for b.Loop() {
				flatten()
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/file")
			b.ReportMetric(float64((cputime.Process()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/file")
		})
	}
}
