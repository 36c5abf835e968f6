package mail

import (
	"strings"
	"testing"
)

// TestNoticeLines checks the wording a non-technical reader sees for each
// kind of action.
func TestNoticeLines(t *testing.T) {
	st := &walkStats{htmlBody: true, inlineImages: 2, signature: "S/MIME"}
	children := []*outcome{
		{Name: "見積書.pdf", Action: "flatten", Detected: "pdf", Files: []file{{Name: "見積書.pdf"}}},
		{Name: "setup.exe", Withheld: true, Reason: "executable"},
		{Name: "資料.zip", Withheld: true, Held: true, Reason: "encrypted", ID: "20261124T010000Z-abcd0123"},
		{Name: "議事録.docm", Action: "disarm", Detected: "docm", Files: []file{{Name: "議事録.docx"}}},
		{Name: "転送.eml", Action: "text", Detected: "eml", Files: []file{{Name: "転送.eml"}}},
		{Name: "../\u202egpj.exe", Withheld: true, Reason: "unknown-type", Message: "ファイルの種類を判別できないため削除しました", ID: "X1"},
	}
	got := noticeLines(st, children, Options{Links: LinksDefang}, 3, true)
	want := []string{
		"本文をテキスト化しました（HTML形式の装飾・画像・スクリプトを除去）",
		"本文中のリンク（3件）をクリックできない形（hxxp://）に変えました",
		"本文中の画像（2件）を削除しました",
		"電子署名（S/MIME）を削除しました（無害化により署名の検証はできなくなるため）",
		"開封確認の要求を削除しました",
		"添付ファイル「見積書.pdf」を画像化したPDFに変換しました",
		"添付ファイル「setup.exe」(実行ファイル) を削除しました",
		"添付ファイル「資料.zip」はパスワード付きのため保留しました（保管ID: 20261124T010000Z-abcd0123）",
		"添付ファイル「議事録.docm」からマクロ等の危険な部分を除去しました（「議事録.docx」として添付）",
		"添付ファイル「転送.eml」（転送されたメール）を無害化しました",
		"添付ファイル「gpj.exe」の名前には表示を偽装する制御文字（RLOなど）が含まれていました",
		"添付ファイル「gpj.exe」はファイルの種類を判別できないため削除しました（保管ID: X1）",
	}
	var ja []string
	for _, l := range got {
		ja = append(ja, l.Ja)
	}
	if strings.Join(ja, "\n") != strings.Join(want, "\n") {
		t.Errorf("notice lines:\n%s\nwant:\n%s", strings.Join(ja, "\n"), strings.Join(want, "\n"))
	}
	for _, l := range got {
		if l.En == "" {
			t.Errorf("no English for %q", l.Ja)
		}
	}
}
