package sandbox

import (
	"bytes"
	"compress/zlib"
	"fmt"

	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
)

// onePage builds a one-page PDF with extra page entries and objects.
func onePage(page string, extra ...pdftest.Object) []byte {
	objs := append([]pdftest.Object{
		{Num: 1, Body: "<< /Type /Catalog /Pages 2 0 R >>"},
		{Num: 2, Body: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		{Num: 3, Body: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R " + page + " >>"},
		{Num: 4, Body: pdftest.FlateStream("", []byte("0 0 m 100 100 l S\n"))},
	}, extra...)
	return pdftest.Build(objs, "/Root 1 0 R")
}

// filterSelf is a page whose content stream names itself as its /Filter:
// pdfcpu resolves the reference while parsing the stream, and recurses
// until the Go runtime's stack overflows (a fatal error, not a panic).
func filterSelf() []byte {
	return onePage("", pdftest.Object{Num: 5, Body: "<< /Filter 5 0 R /Length 4 >>\nstream\nabcd\nendstream"})
}

// flateBomb is a page whose content stream inflates to n bytes of zeros
// from about n/1000.
func flateBomb(n int) []byte {
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zeros := make([]byte, 1<<20)
	for i := 0; i < n; i += len(zeros) {
		w.Write(zeros[:min(len(zeros), n-i)])
	}
	w.Close()
	return pdftest.Build([]pdftest.Object{
		{Num: 1, Body: "<< /Type /Catalog /Pages 2 0 R >>"},
		{Num: 2, Body: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		{Num: 3, Body: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"},
		{Num: 4, Body: fmt.Sprintf("<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream", z.Len(), z.Bytes())},
	}, "/Root 1 0 R")
}
