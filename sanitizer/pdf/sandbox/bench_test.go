//go:build unix

package sandbox

import (
	"bytes"
	"context"
	"testing"

	"github.com/mugai-project/mugai/internal/cputime"
	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
)

// BenchmarkDisarm compares pdf.Disarm in process with the sandbox (a fresh
// instance per file) on the clean 3-page Japanese document and a 100-page
// document with a script on every page. Besides wall time it reports the
// process's CPU time per file (cpu-ms/file), which a busy machine
// disturbs less.
func BenchmarkDisarm(b *testing.B) {
	s := testSandbox(b)
	for _, f := range []pdftest.Fixture{pdftest.Clean(), pdftest.ScriptOnEveryPage(100)} {
		for _, run := range []struct {
			name   string
			disarm func(context.Context, *bytes.Reader, *bytes.Buffer) error
		}{
			{"InProcess", func(ctx context.Context, r *bytes.Reader, w *bytes.Buffer) error {
				_, err := pdf.Disarm(ctx, r, w, pdf.DisarmOptions{})
				return err
			}},
			{"Sandbox", func(ctx context.Context, r *bytes.Reader, w *bytes.Buffer) error {
				_, err := s.Disarm(ctx, r, w, pdf.DisarmOptions{})
				return err
			}},
		} {
			b.Run(f.Name+"/"+run.name, func(b *testing.B) {
				b.SetBytes(int64(len(f.Bytes)))
				var out bytes.Buffer
				cpu0 := cputime.Process()
				for b.Loop() {
					out.Reset()
					if err := run.disarm(b.Context(), bytes.NewReader(f.Bytes), &out); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/file")
				b.ReportMetric(float64((cputime.Process()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/file")
			})
		}
	}
}

// BenchmarkInstantiate measures what the sandbox adds to every file: a
// fresh instance of the guest, started and stopped on an empty input.
func BenchmarkInstantiate(b *testing.B) {
	s := testSandbox(b)
	for b.Loop() {
		var out bytes.Buffer
		if _, err := s.Disarm(b.Context(), bytes.NewReader(nil), &out, pdf.DisarmOptions{}); err == nil {
			b.Fatal("an empty file was disarmed")
		}
	}
}

// BenchmarkInventory measures Inventory (pdf.Inspect in a fresh instance)
// on the clean 3-page Japanese document, the step that runs beside the
// render of a flattened PDF.
func BenchmarkInventory(b *testing.B) {
	s := testSandbox(b)
	in := pdftest.Clean().Bytes
	cpu0 := cputime.Process()
	for b.Loop() {
		if _, err := s.Inventory(b.Context(), bytes.NewReader(in), pdf.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/file")
	b.ReportMetric(float64((cputime.Process()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/file")
}
