package render

import (
	"bytes"
	"io"
	"testing"

	"github.com/mugai-project/mugai/internal/cputime"
)

// BenchmarkFlattenScanTextLayer flattens a scanned Japanese page without
// a text layer and with one read by OCR (one tesseract thread): the time
// per page is the cost of the layer, which is almost all tesseract's.
func BenchmarkFlattenScanTextLayer(b *testing.B) {
	p := testPool(b)
	eng := needOCR(b)
	in := scanPDF(b)
	for _, mode := range []string{"off", "ocr"} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				if _, err := p.Flatten(b.Context(), bytes.NewReader(in), int64(len(in)), io.Discard,
					Limits{Text: TextLayer{Mode: mode, OCR: eng}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFlattenTextLayer flattens 10 pages of dense Japanese prose
// without a text layer and with the layer of the pages' own text (read
// with PDFium's text API): the CPU per page is the layer's cost.
func BenchmarkFlattenTextLayer(b *testing.B) {
	p := testPool(b)
	in := japaneseTextPDF(b, 10)
	for _, mode := range []string{"off", "extract"} {
		b.Run(mode, func(b *testing.B) {
			var st Stats
			var err error
			cpu0 := cputime.Process()
			for b.Loop() {
				st, err = p.Flatten(b.Context(), bytes.NewReader(in), int64(len(in)), io.Discard, Limits{Text: TextLayer{Mode: mode}})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cputime.Process()-cpu0).Microseconds())/1000/float64(st.Pages*b.N), "cpu-ms/page")
			b.ReportMetric(float64(st.BytesOut)/float64(st.Pages), "bytes/page")
		})
	}
}

// BenchmarkTextLayerPage writes the layer of a full page of Japanese
// text (40 lines of 40 characters) on its own.
func BenchmarkTextLayerPage(b *testing.B) {
	src := []rune("令和八年度住民税の納税通知書について、納期限までに最寄りの金融機関またはコンビニエンスストアで納付してください。口座振替の方は指定口座から引き落とします。")
	lines := make([]string, 40)
	for i := range lines {
		line := make([]rune, 40)
		for j := range line {
			line[j] = src[(i*7+j)%len(src)]
		}
		lines[i] = string(line)
	}
	chars := layoutLines(lines, 10, false)
	var size int
	for b.Loop() {
		pw := newPDFWriter(io.Discard)
		pw.addTextLayer()
		_, _, c := pw.text.page("q 595 0 0 842 0 0 cm /Im0 Do Q\n", chars)
		size = len(c)
	}
	b.ReportMetric(float64(size), "content-bytes")
	b.ReportMetric(float64(len(chars)), "chars")
}
