package pdf_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/experimental/wazy"
	"github.com/klippa-app/go-pdfium/requests"
	wazyrt "github.com/samyfodil/wazy"
	"github.com/samyfodil/wazy/api"

	"github.com/mugai-project/mugai/internal/enginetest"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
)

// brokenDoc builds a two-page Helvetica document from pdftest objects;
// pages, kids and contents replace the page tree's parts.
func brokenDoc(pages, kids string, page1, content1 string, extra ...pdftest.Object) []byte {
	text := func(n int) string {
		return fmt.Sprintf("BT /F1 24 Tf 72 720 Td (Page %d of a damaged file) Tj ET", n)
	}
	if pages == "" {
		pages = "<< /Type /Pages /Kids " + kids + " /Count 2 >>"
	}
	if page1 == "" {
		page1 = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 11 0 R >>"
	}
	if content1 == "" {
		content1 = pdftest.Stream("", text(1))
	}
	objs := []pdftest.Object{
		{Num: 1, Body: "<< /Type /Catalog /Pages 2 0 R >>"},
		{Num: 2, Body: pages},
		{Num: 5, Body: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"},
		{Num: 10, Body: page1},
		{Num: 11, Body: content1},
		{Num: 12, Body: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 13 0 R >>"},
		{Num: 13, Body: pdftest.Stream("", text(2))},
	}
	return pdftest.Build(append(objs, extra...), "/Root 1 0 R")
}

var xrefEntry = regexp.MustCompile(`(?m)^(\d{10}) 00000 n`)

// malformedCorpus returns damaged PDFs of the kinds found in the field and
// in fuzzing corpora: broken cross-reference data, indirect and looping
// filters, page trees with loops and wrong types, truncation, and random
// byte damage.
func malformedCorpus() map[string][]byte {
	good := brokenDoc("", "[10 0 R 12 0 R]", "", "")
	flate := pdftest.FlateStream("", []byte("BT /F1 24 Tf 72 720 Td (Page 1 of a damaged file) Tj ET"))
	c := map[string][]byte{
		"intact": good,
		"xref offsets shifted": xrefEntry.ReplaceAllFunc(good, func(m []byte) []byte {
			var n int
			fmt.Sscanf(string(m), "%d", &n)
			return fmt.Appendf(nil, "%010d 00000 n", n+7)
		}),
		"startxref wrong":  regexp.MustCompile(`startxref\n\d+`).ReplaceAll(good, []byte("startxref\n3")),
		"no xref table":    regexp.MustCompile(`(?s)xref\n.*?trailer`).ReplaceAll(good, []byte("trailer")),
		"no xref, trailer": good[:bytes.LastIndex(good, []byte("xref\n"))],
		"truncated 90%":    good[:len(good)*9/10],
		"truncated 60%":    good[:len(good)*6/10],
		"no header":        good[bytes.IndexByte(good[2:], '\n')+3:][bytes.IndexByte(good[bytes.IndexByte(good[2:], '\n')+3:], '\n')+1:],
		"indirect filter": brokenDoc("", "[10 0 R 12 0 R]", "",
			strings.Replace(flate, "/Filter /FlateDecode", "/Filter 20 0 R", 1),
			pdftest.Object{Num: 20, Body: "/FlateDecode"}),
		"self-referencing filter": brokenDoc("", "[10 0 R 12 0 R]", "",
			strings.Replace(flate, "/Filter /FlateDecode", "/Filter 11 0 R", 1)),
		"filters referring to each other": brokenDoc("", "[10 0 R 12 0 R]", "",
			strings.Replace(flate, "/Filter /FlateDecode", "/Filter 21 0 R", 1),
			pdftest.Object{Num: 21, Body: pdftest.Stream("/Filter 11 0 R", "x")}),
		"page tree loop":        brokenDoc("", "[10 0 R 2 0 R 12 0 R]", "", ""),
		"kid is the catalog":    brokenDoc("", "[10 0 R 1 0 R 12 0 R]", "", ""),
		"kids not an array":     brokenDoc("<< /Type /Pages /Kids 10 0 R /Count 1 >>", "", "", ""),
		"count wrong":           brokenDoc("<< /Type /Pages /Kids [10 0 R 12 0 R] /Count 99 >>", "", "", ""),
		"page without type":     brokenDoc("", "[10 0 R 12 0 R]", "<< /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 11 0 R >>", ""),
		"mediabox a string":     brokenDoc("", "[10 0 R 12 0 R]", "<< /Type /Page /Parent 2 0 R /MediaBox (A4) /Resources << /Font << /F1 5 0 R >> >> /Contents 11 0 R >>", ""),
		"contents a number":     brokenDoc("", "[10 0 R 12 0 R]", "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 42 >>", ""),
		"resources an array":    brokenDoc("", "[10 0 R 12 0 R]", "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources [1 2 3] /Contents 11 0 R >>", ""),
		"parent loop":           brokenDoc("", "[10 0 R 12 0 R]", "<< /Type /Page /Parent 10 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 11 0 R >>", ""),
		"stream length wrong":   brokenDoc("", "[10 0 R 12 0 R]", "", strings.Replace(pdftest.Stream("", "BT /F1 24 Tf 72 720 Td (Page 1) Tj ET"), "/Length ", "/Length 9", 1)),
		"catalog pages missing": bytes.Replace(good, []byte("<< /Type /Catalog /Pages 2 0 R >>"), []byte("<< /Type /Catalog /Pagez 2 0 R >>"), 1),
	}
	base := pdftest.Clean().Bytes
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 24 {
		b := bytes.Clone(base)
		for range 1 + rng.IntN(12) {
			b[16+rng.IntN(len(b)-16)] = byte(rng.IntN(256))
		}
		c[fmt.Sprintf("fuzzed %02d", i)] = b
	}
	return c
}

// pdfiumOracle opens each PDF with PDFium itself, as go-pdfium's own
// examples do, and renders each page: the reference for what mugai must
// flatten.
type pdfiumOracle struct {
	pool pdfium.Pool
}

var (
	oracleOnce sync.Once
	oracle     *pdfiumOracle
	oracleErr  error
)

func newOracle(t *testing.T) *pdfiumOracle {
	t.Helper()
	oracleOnce.Do(func() {
		// The renderer's runtime and cache folder (sanitizer/render's
		// Pool), so that the module compiled for one serves the other.
		cache, err := wazyrt.NewCompilationCacheWithDir(filepath.Join(enginetest.CacheDir(), "wazy"))
		if err != nil {
			oracleErr = err
			return
		}
		rc := wazyrt.NewRuntimeConfig().WithCoreFeatures(api.CoreFeaturesV2 | api.CoreFeatureExceptionHandling).WithCompilationCache(cache)
		p, err := wazy.Init(wazy.Config{MinIdle: 1, MaxIdle: 1, MaxTotal: 1, RuntimeConfig: rc,
			FSConfig: wazyrt.NewFSConfig(), Stdout: io.Discard, Stderr: io.Discard})
		oracle, oracleErr = &pdfiumOracle{pool: p}, err
	})
	if oracleErr != nil {
		t.Fatal(oracleErr)
	}
	return oracle
}

// pages returns how many pages PDFium loads and renders at 36 dpi.
func (o *pdfiumOracle) pages(t *testing.T, b []byte) int {
	t.Helper()
	inst, err := o.pool.GetInstance(0)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &b})
	if err != nil {
		return 0
	}
	defer inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document})
	n, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc.Document})
	if err != nil {
		return 0
	}
	rendered := 0
	for i := range n.PageCount {
		res, err := inst.RenderPageInDPI(&requests.RenderPageInDPI{DPI: 36,
			Page: requests.Page{ByIndex: &requests.PageByIndex{Document: doc.Document, Index: i}}})
		if err == nil {
			rendered++
			res.Cleanup()
		}
	}
	return rendered
}

// pdfcpuKillers are the files that would make pdfcpu overflow its stack
// (which kills the process: the disarm path refuses them beforehand) or
// that its page tree walk refuses, and that PDFium renders.
var pdfcpuKillers = map[string]bool{
	"self-referencing filter": true, "filters referring to each other": true, "indirect filter": true,
	"page tree loop": true, "kid is the catalog": true,
}

// TestFlattenMalformedAsPDFiumDoes: over a corpus of damaged PDFs, mugai
// flattens every file that PDFium's own load-and-render loop renders
// completely, with as many pages; the files pdfcpu refuses (indirect and
// looping /Filter entries, looping page trees, wrong types) are among
// them, and so are flattened without pdfcpu.
func TestFlattenMalformedAsPDFiumDoes(t *testing.T) {
	o := newOracle(t)
	e := enginetest.New(t, sanitizer.Options{}, nil)
	corpus := malformedCorpus()
	names := make([]string, 0, len(corpus))
	for n := range corpus {
		names = append(names, n)
	}
	sort.Strings(names)
	var oracleOK, mugaiOK, pdfcpuRefused, refusedFlattened int
	for _, name := range names {
		b := corpus[name]
		t.Run(name, func(t *testing.T) {
			want := o.pages(t, b)
			res := runPDF(t, e, sanitizer.Input{Name: "damaged.pdf", Body: bytes.NewReader(b)})
			got := 0
			if !res.Report.Withheld && len(res.Outputs) == 1 {
				info, err := pdf.Inspect(context.Background(), res.Outputs[0].Open(), pdf.Limits{})
				if err != nil {
					t.Fatalf("output does not parse: %v", err)
				}
				got = info.Pages
			}
			_, inspectErr := pdf.Inspect(context.Background(), bytes.NewReader(b), pdf.Limits{})
			if want > 0 {
				oracleOK++
			}
			if got > 0 {
				mugaiOK++
			}
			if inspectErr != nil {
				pdfcpuRefused++
				if got > 0 {
					refusedFlattened++
				}
			}
			t.Logf("PDFium renders %d pages, mugai flattened %d; pdfcpu: %v", want, got, inspectErr)
			if got < want {
				t.Errorf("mugai flattened %d pages where PDFium renders %d: %+v", got, want, res.Report.Reasons)
			}
			if pdfcpuKillers[name] && (inspectErr == nil || got == 0) {
				t.Errorf("pdfcpu: %v; mugai flattened %d pages: want a file pdfcpu refuses, flattened", inspectErr, got)
			}
		})
	}
	t.Logf("%d files: PDFium renders %d, mugai flattens %d; pdfcpu refuses %d, of which mugai flattens %d",
		len(corpus), oracleOK, mugaiOK, pdfcpuRefused, refusedFlattened)
	if refusedFlattened == 0 {
		t.Error("no file that pdfcpu refuses was flattened")
	}
}
