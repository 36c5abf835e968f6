package render

import (
	"bytes"
	"io"
	"testing"
)

// TestHeaderlessPDFRenders: a PDF whose %PDF- header was lost renders,
// as in MuPDF and poppler.
func TestHeaderlessPDFRenders(t *testing.T) {
	in := textPDF(t, 2)
	body := in[bytes.Index(in, []byte("1 0 obj")):]
	ra, size := withHeader(bytes.NewReader(body), int64(len(body)))
	got, err := io.ReadAll(io.NewSectionReader(ra, 0, size))
	if err != nil || string(got) != pdfHeader+string(body) {
		t.Fatalf("headed reader gives %d bytes, %v", len(got), err)
	}
	if _, err := io.ReadAll(io.NewSectionReader(ra, 3, size-3)); err != nil {
		t.Fatal(err)
	}
	out, st := flatten(t, testPool(t), body, Limits{DPI: 36})
	if st.Pages != 2 {
		t.Errorf("%d pages", st.Pages)
	}
	assertImageOnlyPDF(t, out, 2)
}
