//go:build unix

package app_test

import (
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/enginetest"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
)

// BenchmarkSanitizePDF sanitizes a PDF ($MUGAI_BENCH_PDF, else the clean
// 3-page Japanese document) through the engine as `mugai sanitize` builds
// it, with the default policy and options: the flatten path whole, from
// pdfcpu's inventory in its sandbox through PDFium's render and the text
// layer (extracted, or by OCR where tesseract runs here) to the verifier.
// The engine is started before the clock, as a server's is; it reports
// CPU per file, tesseract's included, beside wall time (bench/flatten.sh
// divides it by the pages).
func BenchmarkSanitizePDF(b *testing.B) {
	in := pdftest.Clean().Bytes
	if f := os.Getenv("MUGAI_BENCH_PDF"); f != "" {
		var err error
		if in, err = os.ReadFile(f); err != nil {
			b.Fatal(err)
		}
	}
	eng, err := app.NewEngine(app.EngineOptions{Sanitizer: sanitizer.Options{
		TempDir: b.TempDir(),
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { eng.Close() })
	enginetest.MeasureFlatten(b, eng, in)
}
