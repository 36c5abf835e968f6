package render

import (
	"bytes"
	"io"
	"testing"

	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
)

// TestFlattenInventory: Flatten reports the active content that PDFium
// sees and the image-only output leaves out, in the categories of the
// disarm's report.
func TestFlattenInventory(t *testing.T) {
	p := testPool(t)
	tests := map[string][]string{
		"LaunchActionLink":              {"launch"},
		"EmbeddedFileAndFileAttachment": {"embedded-file", "file-attachment"},
		"JavaScriptInObjectStream":      {"javascript"},
		"PageAdditionalActions":         {"additional-actions", "launch"},
		"AcroFormFieldScriptAndXFA":     {"xfa"},
		"URILink":                       {"uri"},
		"RichMediaAndSoundAnnotations":  {"richmedia", "screen"},
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			f, ok := pdftest.HostileNamed(name)
			if !ok {
				t.Fatal("no fixture")
			}
			st, err := p.Flatten(t.Context(), bytes.NewReader(f.Bytes), int64(len(f.Bytes)), io.Discard, Limits{DPI: 36})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range want {
				if st.Removed[c] == 0 {
					t.Errorf("removed %v, want %s", st.Removed, c)
				}
			}
		})
	}
	clean := pdftest.Clean().Bytes
	st, err := p.Flatten(t.Context(), bytes.NewReader(clean), int64(len(clean)), io.Discard, Limits{DPI: 36})
	if err != nil || len(st.Removed) != 0 || st.Encrypted {
		t.Errorf("clean PDF: removed %v, encrypted %v, err %v", st.Removed, st.Encrypted, err)
	}
}
