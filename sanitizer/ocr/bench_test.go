package ocr

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mugai-project/mugai/sanitizer/ocr/ocrtest"
)

// BenchmarkOCRPage reads one scanned Japanese A4 page at 150 dpi: through
// Engine (PGM written, sandbox started, TSV parsed) and, beside it, the
// same tesseract command run by hand on the same PGM, so that the cost
// of the sandbox shows. Both use one thread.
func BenchmarkOCRPage(b *testing.B) {
	e := needEngine(b)
	img := ocrtest.ScannedPage(b, ocrtest.Text, 150, 12)
	// One thread on an otherwise idle core: pages/s is per core.
	report := func(b *testing.B) { b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s") }
	b.Run("sandboxed", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.Page(context.Background(), img, 150); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	b.Run("by-hand", func(b *testing.B) {
		pgm := filepath.Join(b.TempDir(), "scan.pgm")
		if err := writePGM(pgm, img); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			c := exec.Command(e.tesseract, pgm, "stdout", "-l", "jpn+eng", "--dpi", "150", "--psm", "3", "tsv")
			c.Env = []string{"OMP_THREAD_LIMIT=1"}
			if out, err := c.CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
		}
		report(b)
	})
}
