package transfer

import (
	"context"
	"os"
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

// TestReportLinesHeldArchive: a held PPAP zip has removed nothing (its
// entries wait for the password), and the same warning about several
// entries is said once, naming them.
func TestReportLinesHeldArchive(t *testing.T) {
	rep := &sanitizer.Report{Detected: "zip", Action: sanitizer.Hold, Withheld: true,
		Findings: []detect.Finding{{Code: "archive-encrypted-entry", Detail: "見積書.pdf: zip: entry is encrypted"}, {Code: "archive-encrypted-entry", Detail: "明細.xlsx: zip: entry is encrypted"}},
		Removed:  []sanitizer.Removal{{What: "archive-entry", Count: 2}},
		Reasons:  []sanitizer.Reason{sanitizer.NewReason(sanitizer.ReasonEncrypted, "")}}
	want := []string{
		"判定: ZIP圧縮ファイル",
		"注意: パスワードで暗号化された項目があります（見積書.pdf、明細.xlsx）",
		"対処: 保留しました（パスワードを入力すると解除して無害化します）",
		"理由: パスワード付き(暗号化)のため中身を確認できず、保留しました",
	}
	if got := reportLines(rep, "ja"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	en := strings.Join(reportLines(rep, "en"), "\n")
	if !strings.Contains(en, "(見積書.pdf, 明細.xlsx)") || strings.Contains(en, "Removed") {
		t.Errorf("English:\n%s", en)
	}
}

// TestReportLinesManyEntries: past five names the line counts the rest.
func TestReportLinesManyEntries(t *testing.T) {
	rep := &sanitizer.Report{Detected: "zip", Action: sanitizer.Strip}
	for _, n := range []string{"1.pdf", "2.pdf", "3.pdf", "4.pdf", "5.pdf", "6.pdf", "7.pdf"} {
		rep.Findings = append(rep.Findings, detect.Finding{Code: "archive-damaged-entry", Detail: n + ": bad"})
	}
	got := reportLines(rep, "ja")[1]
	if got != "注意: 壊れた項目があります（1.pdf、2.pdf、3.pdf、4.pdf、5.pdfほか2件）" {
		t.Errorf("line %q", got)
	}
}

// TestReportLinesFormulasKept: formula cells of a CSV are kept as text,
// which the report says apart from what it removed.
func TestReportLinesFormulasKept(t *testing.T) {
	rep := &sanitizer.Report{Detected: "csv", Action: sanitizer.Text,
		Removed: []sanitizer.Removal{{What: "formula", Count: 3}, {What: "control-character", Count: 1}}}
	got := strings.Join(reportLines(rep, "ja"), "\n")
	for _, want := range []string{"無害な形に変えて残したもの: 数式として働くセル（先頭に ' を付け、値は保持） ×3", "除去したもの: 制御文字 ×1"} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "除去したもの: 数式") {
		t.Errorf("formulas reported as removed:\n%s", got)
	}
	if en := strings.Join(reportLines(rep, "en"), "\n"); !strings.Contains(en, "Kept in a harmless form: cells that would run as formulas") {
		t.Errorf("English:\n%s", en)
	}
}

// TestReportLinesOfARealHeldZip: the words for the PPAP fixture as the
// engine reports it.
func TestReportLinesOfARealHeldZip(t *testing.T) {
	f, err := os.Open("../fixtures/corpus/archive/zip-zipcrypto.zip")
	if err != nil {
		t.Skip("fixture missing:", err)
	}
	defer f.Close()
	eng, err := TestEngine()
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Sanitize(context.Background(), sanitizer.Input{Name: "見積書.zip", Body: f})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	got := strings.Join(reportLines(res.Report, "ja"), "\n")
	if strings.Contains(got, "除去したもの") || !strings.Contains(got, "（見積書.pdf）") || !strings.Contains(got, "保留しました") {
		t.Errorf("held zip:\n%s", got)
	}
}
