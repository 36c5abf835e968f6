package sanitizer

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/catalog"
)

// reasonCodes reads the Reason* constants from report.go, so a new code
// cannot be added without its words.
func reasonCodes(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "report.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Values) != 1 || !strings.HasPrefix(vs.Names[0].Name, "Reason") {
			return true
		}
		if lit, ok := vs.Values[0].(*ast.BasicLit); ok {
			s, _ := strconv.Unquote(lit.Value)
			codes = append(codes, s)
		}
		return true
	})
	if len(codes) < 20 {
		t.Fatalf("found %d reason codes in report.go", len(codes))
	}
	return codes
}

func TestEveryReasonHasWords(t *testing.T) {
	internal := NewReason(ReasonInternal, "")
	for _, code := range reasonCodes(t) {
		r := NewReason(code, "detail")
		if !catalog.Has("reason."+code) || r.Message == "" || r.English == "" || r.Detail != "detail" {
			t.Errorf("%s: %+v", code, r)
		}
		if code != ReasonInternal && (r.Message == internal.Message || r.English == internal.English) {
			t.Errorf("%s reads as an internal error", code)
		}
	}
}

func TestReasonText(t *testing.T) {
	r := NewReason(ReasonEncrypted, "")
	if r.Text(catalog.Japanese) != r.Message || r.Text(catalog.English) != r.English {
		t.Errorf("Text: %q, %q", r.Text(catalog.Japanese), r.Text(catalog.English))
	}
	// An old report's code the catalog no longer has keeps its recorded words.
	old := Reason{Code: "retired-code", Message: "古い理由", English: "an old reason"}
	if old.Text(catalog.Japanese) != "古い理由" || old.Text(catalog.English) != "an old reason" {
		t.Errorf("retired code: %q, %q", old.Text(catalog.Japanese), old.Text(catalog.English))
	}
	if got := NewReason("no-such-code", "x"); got.Code != "no-such-code" || got.Message != NewReason(ReasonInternal, "").Message {
		t.Errorf("unknown code: %+v", got)
	}
}

func TestSummary(t *testing.T) {
	rep := &Report{Name: "a.exe", Detected: "exe", Action: Block, Withheld: true, QuarantineID: "Q1",
		Reasons: []Reason{NewReason(ReasonExecutable, "")}}
	for _, tt := range []struct{ lang, want string }{
		{"ja", "a.exe [exe] 無害化できないため受け渡しできません: 実行ファイル・スクリプトのため削除しました（保管ID: Q1）"},
		{"en", "a.exe [exe] cannot be made harmless, not passed on: executable or script, removed (quarantine ID: Q1)"},
	} {
		if got := rep.Summary(tt.lang); got != tt.want {
			t.Errorf("Summary(%s) = %q, want %q", tt.lang, got, tt.want)
		}
	}
	ok := &Report{Name: "b.pdf", Detected: "pdf", Action: Disarm, Outputs: []OutputInfo{{Name: "b.pdf"}},
		Removed: []Removal{{What: "javascript", Count: 2}, {What: "openaction", Count: 1}}}
	if got, want := ok.Summary("ja"), "b.pdf [pdf] disarm → b.pdf（除去: javascript×2、openaction×1）"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
}
