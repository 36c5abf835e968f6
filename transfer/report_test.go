package transfer

import (
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitizer"
)

func TestReportLinesNameEachChild(t *testing.T) {
	rep := &sanitizer.Report{Detected: "zip", Action: sanitizer.Strip, Children: []*sanitizer.Report{
		{Name: "a.pdf", Detected: "pdf", Action: sanitizer.Flatten, Removed: []sanitizer.Removal{{What: "javascript", Count: 1}}},
	}}
	for _, tc := range []struct{ lang, first, child string }{
		{"ja", "判定: ZIP圧縮ファイル", "　a.pdf: 判定: PDF文書"},
		{"en", "Detected: ZIP archive", "　a.pdf: Detected: PDF document"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			lines := reportLines(rep, tc.lang)
			if len(lines) < 3 || lines[0] != tc.first {
				t.Fatalf("lines %q", lines)
			}
			var named int
			for _, l := range lines[1:] {
				if strings.Contains(l, "a.pdf: ") {
					named++
					if l != tc.child {
						t.Errorf("child line %q, want %q", l, tc.child)
					}
				}
			}
			if named != 1 {
				t.Errorf("%d child lines carry the name, want 1: %q", named, lines)
			}
		})
	}
}
