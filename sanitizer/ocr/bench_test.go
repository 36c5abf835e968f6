package ocr

import (
	"context"
	"image"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mugai-project/mugai/sanitizer/ocr/ocrtest"
)

// BenchmarkOCRPage reads one scanned Japanese A4 page at 150 dpi, in
// horizontal lines and in vertical columns: through Engine (PGM written,
// sandbox started, TSV parsed; a vertical page read twice, vertical.go)
// and, beside it, the same tesseract commands run by hand on the same
// PGM, so that the cost of the sandbox shows; for the vertical page also
// the vertical reading alone, what a page known beforehand to be
// vertical would cost. All use one thread.
func BenchmarkOCRPage(b *testing.B) {
	e := needEngine(b, Options{})
	// One thread on an otherwise idle core: pages/s is per core.
	report := func(b *testing.B) { b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s") }
	auto := []string{"-l", "jpn+eng", "--psm", psmAuto}
	vert := []string{"-l", "jpn_vert", "--psm", psmVertical}
	for _, pg := range []struct {
		name   string
		img    *image.RGBA
		byHand map[string][][]string
	}{
		{"horizontal", ocrtest.ScannedPage(b, ocrtest.Text, 150, 12), map[string][][]string{"by-hand": {auto}}},
		{"vertical", ocrtest.VerticalPage(b, ocrtest.VerticalText, 150, 12), map[string][][]string{"by-hand": {auto, vert}, "by-hand-vertical-only": {vert}}},
	} {
		b.Run(pg.name+"/sandboxed", func(b *testing.B) {
			for b.Loop() {
				if _, err := e.Page(context.Background(), pg.img, 150); err != nil {
					b.Fatal(err)
				}
			}
			report(b)
		})
		for name, runs := range pg.byHand {
			b.Run(pg.name+"/"+name, func(b *testing.B) {
				pgm := filepath.Join(b.TempDir(), "scan.pgm")
				if err := writePGM(pgm, pg.img); err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					for _, args := range runs {
						c := exec.Command(e.tesseract, append(append([]string{pgm, "stdout", "--dpi", "150"}, args...), "tsv")...)
						c.Env = []string{"OMP_THREAD_LIMIT=1"}
						if out, err := c.CombinedOutput(); err != nil {
							b.Fatalf("%v: %s", err, out)
						}
					}
				}
				report(b)
			})
		}
	}
}
