//go:build unix

package enginetest

import (
	"bytes"
	"testing"

	"github.com/mugai-project/mugai/internal/cputime"
	"github.com/mugai-project/mugai/sanitizer"
)

// MeasureFlatten sanitizes the PDF in through e, which must flatten it,
// once to start the engine's sandboxes and then b.N times, and reports
// the wall time and the CPU time per file (cpu-ms/file, with the child
// processes'), which a busy machine disturbs less.
func MeasureFlatten(b *testing.B, e *sanitizer.Engine, in []byte) {
	b.Helper()
	flatten := func() {
		res, err := e.Sanitize(b.Context(), sanitizer.Input{Name: "a.pdf", Body: bytes.NewReader(in)})
		if err != nil {
			b.Fatal(err)
		}
		defer res.Close()
		if rep := res.Report; rep.Withheld || rep.Action != sanitizer.Flatten {
			b.Fatalf("not flattened: %+v", rep)
		}
	}
	flatten() // start the renderer and the sandbox before b.Loop starts the clock
	cpu0 := cputime.Process()
	for b.Loop() {
		flatten()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/file")
	b.ReportMetric(float64((cputime.Process()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/file")
}
