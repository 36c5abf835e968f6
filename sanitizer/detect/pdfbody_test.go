package detect

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// TestHeaderlessPDF: PDF objects without a %PDF- header are a PDF (which
// PDFium then opens or refuses), never text to be delivered as its raw
// source; text that merely mentions objects is text.
func TestHeaderlessPDF(t *testing.T) {
	long := "1 0 obj\n<< /Length 2000 >>\nstream\n" + strings.Repeat("0 0 m 1 1 l S\n", 150) + "endstream\nendobj\n"
	tests := []struct {
		name string
		data string
		want Kind
	}{
		{"object first", "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n", PDF},
		{"comment and blank lines first", "%comment\r\n\r\n 12 0 obj <<>> endobj", PDF},
		{"long first object, trailer at the end", long + "trailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n", PDF},
		{"long first object, no trailer", long, Text},
		{"prose about objects", "The file has 1 0 obj at the start.\n", Text},
		{"a number list", "1 0\n2 0\n", Text},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Detect(bytes.NewReader([]byte(tt.data)), int64(len(tt.data)), "a.txt", "")
			if got.Kind != tt.want {
				t.Fatalf("Detect = %s, want %s", got.Kind, tt.want)
			}
			missing := slices.ContainsFunc(got.Findings, func(f Finding) bool { return f.Code == FindingPDFNoHeader })
			if missing != (tt.want == PDF) {
				t.Errorf("findings %v", got.Findings)
			}
		})
	}
}
