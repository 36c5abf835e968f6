package held

import (
	"slices"
	"strings"
	"testing"
)

func TestPasswordsInFollowUpShapes(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"full-width colon", "お世話になっております。\r\n先ほどのファイルのパスワードです。\r\n\r\nパスワード：Kx7-pq29\r\n", []string{"Kx7-pq29"}},
		{"half-width colon", "パスワード: Kx7-pq29", []string{"Kx7-pq29"}},
		{"PW full-width", "PW：Kx7pq29", []string{"Kx7pq29"}},
		{"解凍パスワード", "■解凍パスワード ： Kx7-pq29", []string{"Kx7-pq29"}},
		{"English", "Password: Kx7-pq29\r\n", []string{"Kx7-pq29"}},
		{"lower-case with equals", "password=Kx7-pq29", []string{"Kx7-pq29"}},
		{"brackets", "【パスワード】Kx7-pq29", []string{"Kx7-pq29"}},
		{"brackets and colon", "【解凍パスワード】：Kx7-pq29", []string{"Kx7-pq29"}},
		{"half-width katakana", "ﾊﾟｽﾜｰﾄﾞ：Kx7-pq29", []string{"Kx7-pq29"}},
		{"full-width letters", "パスワード：Ｋｘ７－ｐｑ２９", []string{"Kx7-pq29"}},
		{"quoted は", "パスワードは「Kx7-pq29」です。", []string{"Kx7-pq29"}},
		{"は and です", "パスワードは Kx7-pq29 です", []string{"Kx7-pq29"}},
		{"quoted reply", "> パスワード：Kx7-pq29", []string{"Kx7-pq29"}},
		{"label on its own line", "■解凍パスワード\r\n\r\n  Kx7-pq29\r\n", []string{"Kx7-pq29"}},
		{"two files", "資料A パスワード：aaaa1111\r\n資料B パスワード：bbbb2222\r\n", []string{"aaaa1111", "bbbb2222"}},
		{"the same twice", "パスワード：aaaa1111\r\nPW: aaaa1111", []string{"aaaa1111"}},
		{"sentence, no password", "パスワード：別途お送りします", nil},
		{"は and a sentence", "パスワードは以下の通りです。", nil},
		{"no label", "Kx7-pq29", nil},
		{"label in a word", "bypass: Kx7-pq29\r\nNEWPW: Kx7-pq29", nil},
		{"passport", "Passport: TK1234567", nil},
		{"too short", "PW: abc", nil},
		{"unclosed quote", "パスワード：「Kx7-pq29", nil},
		{"mugai's own notice", "・添付ファイル「shiryo.zip」はパスワード付きのため保留しました（保管ID: 20261203T124100Z-1f2e）", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Passwords(tc.text); !slices.Equal(got, tc.want) {
				t.Errorf("Passwords(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestPasswordsBounded(t *testing.T) {
	var b strings.Builder
	for i := range 20 {
		b.WriteString("PW: password" + strings.Repeat("x", i) + "\n")
	}
	if got := Passwords(b.String()); len(got) != maxPasswords {
		t.Errorf("%d passwords from one mail, want at most %d", len(got), maxPasswords)
	}
}

func FuzzPasswords(f *testing.F) {
	for _, s := range []string{"パスワード：Kx7-pq29", "【PW】「abcd」", "■解凍パスワード\n\nKx7-pq29", "パスワードは「", "PW:\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := Passwords(text)
		if len(got) > maxPasswords {
			t.Fatalf("%d passwords", len(got))
		}
		for _, pw := range got {
			if len(pw) < 4 || len(pw) > 128 {
				t.Fatalf("password of %d bytes", len(pw))
			}
			for _, c := range pw {
				if c < 0x21 || c > 0x7e {
					t.Fatalf("password %q is not printable ASCII", pw)
				}
			}
		}
	})
}
