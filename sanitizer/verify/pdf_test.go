package verify_test

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

func checkPDF(b []byte, allowURI bool) (*verify.PDFFindings, error) {
	return verify.PDFOptions{AllowURI: allowURI}.Check(context.Background(), bytes.NewReader(b), int64(len(b)))
}

// onePage builds a one-page PDF with extra catalog entries and objects.
func onePage(catalog string, extra ...pdftest.Object) []byte {
	objs := append([]pdftest.Object{
		{Num: 1, Body: "<< /Type /Catalog /Pages 2 0 R " + catalog + " >>"},
		{Num: 2, Body: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		{Num: 3, Body: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>"},
		{Num: 4, Body: pdftest.FlateStream("", []byte("0 0 m 100 100 l S\n"))},
	}, extra...)
	return pdftest.Build(objs, "/Root 1 0 R")
}

// TestPDFRefusesHostileInputs proves the checker can fail: every hostile
// fixture is refused as it comes in, naming what it found.
func TestPDFRefusesHostileInputs(t *testing.T) {
	want := map[string]string{
		"OpenActionJavaScript":            "object 1: /OpenAction",
		"LaunchActionLink":                "/Launch",
		"EmbeddedFileAndFileAttachment":   "/EmbeddedFile",
		"JavaScriptInObjectStream":        "/JavaScript",
		"HexEscapedNames":                 "/OpenAction",
		"IncrementalUpdateAddsJavaScript": "/OpenAction",
		"PageAdditionalActions":           "/AA",
		"AcroFormFieldScriptAndXFA":       "/XFA",
		"URILink":                         "/URI",
		"RichMediaAndSoundAnnotations":    "/RichMedia",
		"OutlineGoToWithScriptInNext":     "object 101: /JavaScript",
	}
	for _, f := range pdftest.Hostile() {
		t.Run(f.Name, func(t *testing.T) {
			_, err := checkPDF(f.Bytes, false)
			if err == nil {
				t.Fatal("verify.PDF accepted a hostile PDF")
			}
			if w, ok := want[f.Name]; !ok || !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not name %q", err, w)
			}
			if !strings.HasPrefix(err.Error(), "verify: pdf ") {
				t.Errorf("error %q lacks the verify: pdf prefix", err)
			}
		})
	}
}

// TestPDFAcceptsClean asserts that a clean Japanese PDF, as it comes and
// after a disarm, passes; a URI link passes only with AllowURI.
func TestPDFAcceptsClean(t *testing.T) {
	clean := pdftest.Clean().Bytes
	f, err := checkPDF(clean, false)
	if err != nil {
		t.Fatalf("clean input refused: %v", err)
	}
	if f.Objects < 10 || f.Streams < 3 {
		t.Errorf("findings %+v: walked too little", f)
	}
	uri, ok := pdftest.HostileNamed("URILink")
	if !ok {
		t.Fatal("no hostile fixture URILink")
	}
	if _, err := checkPDF(uri.Bytes, true); err != nil {
		t.Errorf("URI link refused with AllowURI: %v", err)
	}
}

// TestPDFAttacksOnTheChecker covers hiding places that a graph walk
// alone would miss, and streams that cannot be checked.
func TestPDFAttacksOnTheChecker(t *testing.T) {
	clean := onePage("")
	jpegLike := func(body string) pdftest.Object {
		return pdftest.Object{Num: 5, Body: pdftest.Stream("/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode", body)}
	}
	for _, tc := range []struct {
		name string
		pdf  []byte
		want string // "" means the file must pass
	}{
		{"Clean", clean, ""},
		{"OrphanObjectOutsideXRef", insertBeforeXRef(clean, "99 0 obj\n<< /S /JavaScript /JS (app.alert(1)) >>\nendobj\n"), "/JavaScript"},
		{"HexEscapedNameInComment", insertBeforeXRef(clean, "% /J#61vaScript\n"), "/JavaScript"},
		{"HexEscapedOpenActionOrphan", insertBeforeXRef(clean, "98 0 obj\n<< /Open#41ction 5 0 R >>\nendobj\n"), "/OpenAction"},
		{"NameInCompressedContentStream", onePage("", pdftest.Object{Num: 5, Body: pdftest.FlateStream("/Type /XObject /Subtype /Form /BBox [0 0 1 1]", []byte("/OpenAction BMC EMC"))}), "decoded stream: /OpenAction"},
		{"UndecodableFlateStream", onePage("", pdftest.Object{Num: 5, Body: "<< /Filter /FlateDecode /Length 12 >>\nstream\nnot deflated\nendstream"}), "does not decode"},
		{"UnknownFilter", onePage("", pdftest.Object{Num: 5, Body: "<< /Filter /Rot13Decode /Length 4 >>\nstream\nabcd\nendstream"}), "/Rot13Decode"},
		{"CryptFilter", onePage("", pdftest.Object{Num: 5, Body: "<< /Filter /Crypt /Length 4 >>\nstream\nabcd\nendstream"}), "/Crypt"},
		{"ShortNameBytesInsideJPEGData", onePage("", jpegLike("\xff\xd8 /AA \x00/JS\x01 \xff\xd9")), ""},
		{"LongNameInsideJPEGData", onePage("", jpegLike("\xff\xd8 /JavaScript \xff\xd9")), "/JavaScript"},
		{"URIInCatalog", onePage("/URI << /Base (https://x.example/) >>"), "/URI"},
		{"EncryptInTrailerOrphan", insertBeforeXRef(clean, "% /Encrypt\n"), "/Encrypt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checkPDF(tc.pdf, false)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("accepted, want a failure naming %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("error %q does not name %q", err, tc.want)
			}
		})
	}
}

// filterRefCycles are streams whose /Filter or /DecodeParms refer to a
// stream, in the spellings a lexer must see through. pdfcpu recurses on
// them until the process dies (fatal stack overflow, not a panic).
func filterRefCycles() map[string]pdftest.Object {
	return map[string]pdftest.Object{
		"FilterSelf":             {Num: 5, Body: "<< /Filter 5 0 R /Length 4 >>\nstream\nabcd\nendstream"},
		"DecodeParmsSelf":        {Num: 5, Body: "<< /Filter /FlateDecode /DecodeParms 5 0 R /Length 4 >>\nstream\nabcd\nendstream"},
		"DecodeParmsArray":       {Num: 5, Body: "<< /Filter [/FlateDecode] /DecodeParms [null 5 0 R] /Length 4 >>\nstream\nabcd\nendstream"},
		"CommentsBetween":        {Num: 5, Body: "<< /Filter 5 % one\n0 %two\nR /Length 4 >>\nstream\nabcd\nendstream"},
		"HexEscapedKey":          {Num: 5, Body: "<< /F#69lter 5 0 R /Length 4 >>\nstream\nabcd\nendstream"},
		"AfterStringWithPercent": {Num: 5, Body: "<< /X (50% \\) /Filter) /Filter 5 0 R /Length 4 >>\nstream\nabcd\nendstream"},
	}
}

// TestPDFFilterReferenceCycleDoesNotCrash asserts that the checker refuses
// these files before pdfcpu parses them (it would crash the test binary).
func TestPDFFilterReferenceCycleDoesNotCrash(t *testing.T) {
	for name, obj := range filterRefCycles() {
		t.Run(name, func(t *testing.T) {
			_, err := checkPDF(onePage("", obj), false)
			if err == nil || !strings.Contains(err.Error(), "by reference") {
				t.Errorf("err = %v, want a refusal of the reference", err)
			}
		})
	}
	// A reference inside the parameters dictionary is not resolved while
	// parsing and stays allowed.
	ok := onePage("", pdftest.Object{Num: 5, Body: pdftest.Stream("/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /JBIG2Decode /DecodeParms << /JBIG2Globals 6 0 R >>", "abcd")},
		pdftest.Object{Num: 6, Body: pdftest.Stream("", "efgh")})
	if _, err := checkPDF(ok, false); err != nil && strings.Contains(err.Error(), "by reference") {
		t.Errorf("JBIG2Globals reference refused: %v", err)
	}
}

// insertBeforeXRef adds bytes in front of the xref section and shifts
// startxref, so the added bytes are in the file but in no xref entry.
func insertBeforeXRef(b []byte, s string) []byte {
	i := bytes.LastIndex(b, []byte("xref\n0 "))
	out := append(append(append([]byte(nil), b[:i]...), s...), b[i:]...)
	old := fmt.Sprintf("startxref\n%d\n", i)
	return bytes.Replace(out, []byte(old), []byte(fmt.Sprintf("startxref\n%d\n", i+len(s))), 1)
}

// TestPDFRefusesGarbage asserts fail-closed results on non-PDF input.
func TestPDFRefusesGarbage(t *testing.T) {
	for name, b := range map[string][]byte{
		"Empty":     {},
		"Text":      []byte("hello"),
		"Truncated": pdftest.Clean().Bytes[:200],
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := checkPDF(b, false); err == nil {
				t.Error("accepted")
			}
		})
	}
	big := pdftest.Clean().Bytes
	if _, err := (verify.PDFOptions{MaxBytes: 100}).Check(context.Background(), bytes.NewReader(big), int64(len(big))); err == nil {
		t.Error("accepted a file above MaxBytes")
	}
}

// FuzzVerifyPDF asserts no panic, and that a file whose bytes spell
// /JavaScript in plain is never accepted.
func FuzzVerifyPDF(f *testing.F) {
	for _, fx := range append(pdftest.Hostile(), pdftest.Clean()) {
		f.Add(fx.Bytes)
		var out bytes.Buffer
		if _, err := pdf.Disarm(context.Background(), bytes.NewReader(fx.Bytes), &out, pdf.DisarmOptions{}); err == nil {
			f.Add(out.Bytes())
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		opts := verify.PDFOptions{MaxStreamBytes: 8 << 20}
		_, err := opts.Check(context.Background(), bytes.NewReader(b), int64(len(b)))
		if err == nil && bytes.Contains(b, []byte("/JavaScript")) {
			t.Fatal("accepted a file that spells /JavaScript")
		}
	})
}

// BenchmarkVerifyPDF measures the check on a disarmed three-page document.
func BenchmarkVerifyPDF(b *testing.B) {
	var out bytes.Buffer
	if _, err := pdf.Disarm(context.Background(), bytes.NewReader(pdftest.Clean().Bytes), &out, pdf.DisarmOptions{}); err != nil {
		b.Fatal(err)
	}
	in := out.Bytes()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := checkPDF(in, false); err != nil {
			b.Fatal(err)
		}
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/s, "files/s")
	b.ReportMetric(float64(b.N)*float64(len(in))/s/1e6, "MB/s")
}
