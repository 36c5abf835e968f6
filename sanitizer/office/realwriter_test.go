package office

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDisarmRealWriterOutput: OOXML written by LibreOffice keeps all its
// text and its parts through the disarm, and verifies.
func TestDisarmRealWriterOutput(t *testing.T) {
	for _, tc := range []struct {
		file, kind string
		want       []string
	}{
		{"lo-written.docx", "docx", []string{"お世話になっております。", "令和7年度 予算書"}},
		{"lo-written.xlsx", "xlsx", []string{"令和7年度 予算書", "総務費"}},
		{"lo-written.pptx", "pptx", []string{"令和7年度 予算書", "お世話になっております。"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			out, res := disarm(t, in, Options{})
			if res.Kind != tc.kind {
				t.Errorf("kind %q", res.Kind)
			}
			got, want := extractText(t, out), extractText(t, in)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("text changed:\n got %q\nwant %q", got, want)
			}
			for _, w := range tc.want {
				if !strings.Contains(strings.Join(got, ""), w) {
					t.Errorf("text lacks %q", w)
				}
			}
			if err := VerifyOOXML(context.Background(), bytes.NewReader(out), int64(len(out))); err != nil {
				t.Errorf("VerifyOOXML: %v", err)
			}
			if len(res.Removed) != 0 || !hasPart(t, out, "docProps/core.xml") {
				t.Errorf("removed %v from a clean document", res.Removed)
			}
		})
	}
}
