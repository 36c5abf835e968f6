package pdf_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
	"github.com/mugai-project/mugai/sanitizer/verify"
)

// FuzzDisarm asserts no panic, bounded output, and that every output
// Disarm produces passes verify.PDF.
func FuzzDisarm(f *testing.F) {
	for _, fx := range allFixtures() {
		f.Add(fx.Bytes, false)
	}
	f.Add(pdftest.Hostile()[0].Bytes, true)
	f.Fuzz(func(t *testing.T, in []byte, keepLinks bool) {
		opts := pdf.DisarmOptions{Limits: pdf.Limits{MaxStreamBytes: 8 << 20, MaxPages: 200, MaxObjects: 20_000}}
		if keepLinks {
			opts.Links = pdf.LinksKeep
		}
		var out bytes.Buffer
		_, err := pdf.Disarm(context.Background(), bytes.NewReader(in), &out, opts)
		// Inspect must not panic either; its result is not compared, as
		// Disarm also refuses files whose rewrite does not validate.
		_, _ = pdf.Inspect(context.Background(), bytes.NewReader(in), opts.Limits)
		if err != nil {
			if out.Len() != 0 {
				t.Fatal("output written on error")
			}
			return
		}
		if max := 16*len(in) + 1<<20; out.Len() > max {
			t.Fatalf("output of %d bytes from %d bytes of input", out.Len(), len(in))
		}
		if _, err := (verify.PDFOptions{AllowURI: keepLinks}).Check(context.Background(), bytes.NewReader(out.Bytes()), int64(out.Len())); err != nil {
			t.Fatalf("Disarm output fails verify: %v", err)
		}
	})
}

// bigDoc builds a clean document of n pages with the fixture's content.
func bigDoc(n int) []byte {
	var objs []pdftest.Object
	kids := make([]string, n)
	for i := range n {
		kids[i] = fmt.Sprintf("%d 0 R", 10+2*i)
		objs = append(objs,
			pdftest.Object{Num: 10 + 2*i, Body: fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F2 3 0 R >> >> /Contents %d 0 R /Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /JavaScript /JS (x) >> >>] >>", 11+2*i)},
			pdftest.Object{Num: 11 + 2*i, Body: pdftest.FlateStream("", []byte(strings.Repeat(fmt.Sprintf("BT /F2 10 Tf 72 720 Td (Line of page %d, with some text to fill the page.) Tj ET\n", i+1), 60)))},
		)
	}
	objs = append(objs,
		pdftest.Object{Num: 1, Body: "<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (x) >> >>"},
		pdftest.Object{Num: 2, Body: fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n)},
		pdftest.Object{Num: 3, Body: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"},
	)
	return pdftest.Build(objs, "/Root 1 0 R")
}

// BenchmarkDisarmPDF measures Disarm on a 3-page Japanese document and a
// 100-page document with a script on every page.
func BenchmarkDisarmPDF(b *testing.B) {
	for _, bc := range []struct {
		name string
		in   []byte
	}{
		{"Clean3Pages", pdftest.Clean().Bytes},
		{"Hostile100Pages", bigDoc(100)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.in)))
			b.ReportAllocs()
			var out bytes.Buffer
			for b.Loop() {
				out.Reset()
				if _, err := pdf.Disarm(context.Background(), bytes.NewReader(bc.in), &out, pdf.DisarmOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			s := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.N)/s, "files/s")
			b.ReportMetric(float64(b.N)*float64(len(bc.in))/s/1e6, "MB/s")
		})
	}
}
