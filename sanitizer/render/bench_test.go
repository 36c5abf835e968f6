package render

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/cputime"
)

// benchInput is $MUGAI_BENCH_PDF if set, else a generated 10-page text PDF.
func benchInput(b *testing.B) []byte {
	b.Helper()
	if f := os.Getenv("MUGAI_BENCH_PDF"); f != "" {
		in, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		return in
	}
	return textPDF(b, 10)
}

// BenchmarkFlattenPDF flattens a text PDF at 150 dpi with every instance
// of a warm pool.
func BenchmarkFlattenPDF(b *testing.B) {
	p := testPool(b)
	in := benchInput(b)
	var st Stats
	var err error
	cpu0 := cputime.Process()
	b.ResetTimer()
	for b.Loop() {
		st, err = p.Flatten(b.Context(), bytes.NewReader(in), int64(len(in)), io.Discard, Limits{DPI: 150})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.Pages)*float64(b.N)/b.Elapsed().Seconds(), "pages/s")
	// CPU time per page does not depend on what else the machine runs.
	b.ReportMetric(float64((cputime.Process()-cpu0).Milliseconds())/float64(st.Pages*b.N), "cpu-ms/page")
	b.ReportMetric(float64(len(in)), "bytes-in")
	b.ReportMetric(float64(st.BytesOut), "bytes-out")
	b.ReportMetric(float64(st.BytesOut)/float64(len(in)), "out/in")
}

// TestWriteBenchPDF writes the generated benchmark inputs for
// bench/flatten.sh into $MUGAI_BENCH_WRITE.
func TestWriteBenchPDF(t *testing.T) {
	dir := os.Getenv("MUGAI_BENCH_WRITE")
	if dir == "" {
		t.Skip("MUGAI_BENCH_WRITE not set")
	}
	for name, in := range map[string][]byte{
		"text10.pdf":     textPDF(t, 10),
		"japanese10.pdf": japaneseTextPDF(t, 10),
		"photo1.pdf":     photoPDF(t),
	} {
		if err := os.WriteFile(dir+"/"+name, in, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStartupTime measures the time from New to the first rendered page,
// with the compiled-module cache in $MUGAI_BENCH_CACHE. bench/flatten.sh
// runs it twice, in two processes: the first compiles, the second loads.
func TestStartupTime(t *testing.T) {
	dir := os.Getenv("MUGAI_BENCH_CACHE")
	if dir == "" {
		t.Skip("MUGAI_BENCH_CACHE not set")
	}
	t0 := time.Now()
	p, err := New(t.Context(), Options{CacheDir: dir, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tNew := time.Since(t0)
	in := textPDF(t, 1)
	if err := p.PageImages(t.Context(), bytes.NewReader(in), int64(len(in)), Limits{}, func(Page) error { return nil }); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("startup: new %.3fs first-page %.3fs\n", tNew.Seconds(), time.Since(t0).Seconds())
}
