package pdf_test

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/enginetest"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
)

// inventoryNote is the start of the note on a flattened PDF whose
// inventory pdfcpu could not take.
const inventoryNote = "the removed content is listed as PDFium saw it alone: pdfcpu could not inspect the PDF ("

// refusedByPDFCPU is a one-page PDF whose OpenAction and JavaScript name
// tree run scripts, and whose page content names its filter by an
// indirect reference: package pdf's pre-scan refuses it, PDFium renders it.
func refusedByPDFCPU() []byte {
	content := pdftest.FlateStream("", []byte("BT /F1 24 Tf 72 720 Td (Rendered by PDFium) Tj ET"))
	return pdftest.Build([]pdftest.Object{
		{Num: 1, Body: "<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R /Names << /JavaScript << /Names [(init) 6 0 R] >> >> >>"},
		{Num: 2, Body: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		{Num: 3, Body: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"},
		{Num: 4, Body: strings.Replace(content, "/Filter /FlateDecode", "/Filter 7 0 R", 1)},
		{Num: 5, Body: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"},
		{Num: 6, Body: "<< /S /JavaScript /JS (app.alert\\(1\\);) >>"},
		{Num: 7, Body: "/FlateDecode"},
	}, "/Root 1 0 R")
}

// TestHandlerFlattenInventory: the report of a flattened PDF merges
// PDFium's inventory with pdfcpu's from its sandbox, keeping per category
// the larger count (two scripts that PDFium counts one of are two, not
// three); a PDF that pdfcpu refuses and PDFium renders is flattened all
// the same, with PDFium's inventory and a note that says so, as is one
// flattened on a server given no inspection sandbox.
func TestHandlerFlattenInventory(t *testing.T) {
	e := enginetest.New(t, sanitizer.Options{}, nil)
	for _, tc := range []struct {
		name    string
		e       *sanitizer.Engine
		in      []byte
		removed map[string]int
		note    bool
	}{
		{"Merged", e, hostile(t, "JavaScriptInObjectStream").Bytes, map[string]int{"javascript": 2, "openaction": 1}, false},
		{"RefusedByPDFCPU", e, refusedByPDFCPU(), map[string]int{"javascript": 1}, true},
		{"NoInspector", pdfEngine(t, sanitizer.Flatten, nil), hostile(t, "OpenActionJavaScript").Bytes, map[string]int{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runPDF(t, tc.e, sanitizer.Input{Name: "通知.pdf", Body: bytes.NewReader(tc.in)})
			rep := res.Report
			if rep.Withheld || len(res.Outputs) != 1 || rep.Action != sanitizer.Flatten {
				t.Fatalf("report %+v, want flattened", rep)
			}
			got := map[string]int{}
			for _, r := range rep.Removed {
				got[r.What] = r.Count
			}
			for c, n := range tc.removed {
				if got[c] != n {
					t.Errorf("removed %v, want %s ×%d", rep.Removed, c, n)
				}
			}
			if tc.note && got["openaction"] != 0 {
				t.Errorf("removed %v: openaction without pdfcpu's inventory", rep.Removed)
			}
			noted := slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.HasPrefix(n, inventoryNote) })
			if noted != tc.note {
				t.Errorf("notes %q, want the inventory note: %v", rep.Notes, tc.note)
			}
		})
	}
}

// TestHandlerFlattenAppliesUserUnit: a page with /UserUnit 3, which
// PDFium does not read, is flattened three times as large, as pdfcpu's
// inspection tells the renderer; the page after it, without, is not.
func TestHandlerFlattenAppliesUserUnit(t *testing.T) {
	res := runPDF(t, enginetest.New(t, sanitizer.Options{}, nil), sanitizer.Input{Name: "図面.pdf", Body: bytes.NewReader(pdftest.UserUnit(3).Bytes)})
	if res.Report.Withheld || len(res.Outputs) != 1 {
		t.Fatalf("report %+v, want flattened", res.Report)
	}
	out, err := io.ReadAll(res.Outputs[0].Open())
	if err != nil {
		t.Fatal(err)
	}
	for _, box := range []string{"/MediaBox [0 0 1785 2526]", "/MediaBox [0 0 595 842]"} {
		if !bytes.Contains(out, []byte(box)) {
			t.Errorf("no page with %s in the output", box)
		}
	}
}
