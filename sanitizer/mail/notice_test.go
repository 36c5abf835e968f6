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

// TestDefaultNotice renders the default notice whole: the catalog's
// words in the template's layout, byte for byte.
func TestDefaultNotice(t *testing.T) {
	d := NoticeData{ID: "X1", Lines: []NoticeLine{{Ja: "一行目", En: "line one"}}, URLs: []string{"hxxps://a[.]example/"}, English: true}
	got, err := renderNotice(nil, "", d)
	if err != nil {
		t.Fatal(err)
	}
	const rule = "━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━\n"
	want := rule +
		"【無害化済み】このメールは安全のため、受信時に無害化（テキスト化）されています。\n" +
		"This message was made harmless (converted to plain text) on arrival.\n" +
		"・一行目\n" +
		"  (line one)\n" +
		"\n" +
		"本文中のリンク（クリックできない形で表示しています）:\n" +
		"  hxxps://a[.]example/\n" +
		"\n" +
		"元のメールが必要な場合は、保管ID X1 を添えて情報システム担当へお問い合わせください。\n" +
		rule
	if got != want {
		t.Errorf("notice:\n%s\nwant:\n%s", got, want)
	}
	d.English, d.LinksRemoved = false, true
	if got, _ := renderNotice(nil, "", d); strings.Contains(got, "This message") || !strings.Contains(got, "削除したリンク（クリックできない形で表示しています）:\n") {
		t.Errorf("Japanese-only notice with removed links:\n%s", got)
	}
}

// TestNoticeLinesEnglishPlurals: English counts take their plural form.
func TestNoticeLinesEnglishPlurals(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{{1, "1 image embedded in the body was removed"}, {2, "2 images embedded in the body were removed"}} {
		got := noticeLines(&walkStats{inlineImages: tt.n}, nil, Options{}, 0, false)
		if len(got) != 1 || got[0].En != tt.want {
			t.Errorf("%d images: %+v, want %q", tt.n, got, tt.want)
		}
	}
}
