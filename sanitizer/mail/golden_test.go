package mail

import (
	"flag"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitizer"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenMails builds the realistic HTML mails of testdata: a municipal
// newsletter (UTF-8, quoted-printable, next to an empty text part, as
// many mass mailers send) and an Outlook business mail (Shift_JIS HTML,
// base64).
func goldenMails(t testing.TB) map[string]string {
	t.Helper()
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var qp strings.Builder
	w := quotedprintable.NewWriter(&qp)
	w.Write([]byte(crlf(read("newsletter.html"))))
	w.Close()
	newsletter := multipartMsg(
		"From: =?UTF-8?B?"+b64s("みなと市 広報課")+"?= <koho@news.example.jp>\r\nTo: staff@city.example.lg.jp\r\nSubject: =?UTF-8?B?"+b64s("【市民だより】11月号のお知らせ")+"?=\r\nDate: Mon, 23 Nov 2026 08:00:00 +0900\r\nMessage-ID: <nl-202611@news.example.jp>\r\n",
		"alternative", "----=_Part_1",
		"Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n\r\n",
		"Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"+qp.String())
	business := "From: =?ISO-2022-JP?B?" + b64s(enc(t, iso2022, "山田 太郎")) + "?= <yamada@sample.example.co.jp>\r\nTo: =?ISO-2022-JP?B?" + b64s(enc(t, iso2022, "佐藤 花子")) + "?= <sato@city.example.lg.jp>\r\n" +
		"Subject: =?ISO-2022-JP?B?" + b64s(enc(t, iso2022, "RE: ノートPCのお見積りについて")) + "?=\r\nDate: Tue, 24 Nov 2026 14:05:00 +0900\r\nMessage-ID: <biz-1@sample.example.co.jp>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/html; charset=\"shift_jis\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		b64lines([]byte(crlf(enc(t, sjis, read("business.html")))))
	return map[string]string{"newsletter": newsletter, "business": business}
}

// TestGoldenHTMLMail compares the body text of realistic HTML mails with
// files reviewed by eye (go test -run Golden -update rewrites them).
func TestGoldenHTMLMail(t *testing.T) {
	e := newEngine(t, Options{}, sanitizer.Policy{})
	for name, raw := range goldenMails(t) {
		t.Run(name, func(t *testing.T) {
			p := parse(t, delivered(t, run(t, e, raw)))
			checkClean(t, p)
			got := afterNotice(t, p.Body)
			path := filepath.Join("testdata", name+".golden.txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("body differs from %s:\n%s", path, got)
			}
		})
	}
}
