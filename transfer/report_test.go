package transfer

import (
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/catalog"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
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

// TestEveryStateHasWords: the item list names every state and approval
// in every language.
func TestEveryStateHasWords(t *testing.T) {
	for _, s := range []State{Received, Processing, Done, Held, Withheld, Deleted, Expired} {
		if !catalog.Has("page.state." + string(s)) {
			t.Errorf("state %q has no words", s)
		}
	}
	for _, a := range []string{ApprovalPending, ApprovalApproved, ApprovalRejected} {
		if !catalog.Has("page.approval." + a) {
			t.Errorf("approval %q has no words", a)
		}
	}
}

func TestReportLinesWithheld(t *testing.T) {
	rep := &sanitizer.Report{Detected: "exe", Action: sanitizer.Block, Withheld: true,
		Findings: []detect.Finding{{Code: "name-double-extension"}, {Code: "new-finding"}},
		Reasons:  []sanitizer.Reason{sanitizer.NewReason(sanitizer.ReasonExecutable, "")}}
	want := []string{
		"判定: 実行ファイル",
		"注意: ファイル名に二重の拡張子があります",
		"注意: new-finding",
		"対処: 無害化できないため受け渡しできません（原本は隔離保管しています）",
		"理由: 実行ファイル・スクリプトのため削除しました",
	}
	if got := reportLines(rep, "ja"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestHumanSize(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{{0, "0 B"}, {1023, "1023 B"}, {1024, "1 KB"}, {1536, "1.5 KB"}, {100 << 20, "100 MB"}, {3 << 30, "3 GB"}} {
		if got := humanSize(tt.n); got != tt.want {
			t.Errorf("humanSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
