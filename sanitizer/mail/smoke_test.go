package mail

import (
	"testing"

	"github.com/mugai-project/mugai/sanitizer"
)

func TestSmoke(t *testing.T) {
	e := newEngine(t, Options{}, sanitizer.Policy{})
	res := run(t, e, crlf("From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\nTo: a@example.org\nSubject: =?UTF-8?B?5LyaB?= =?UTF-8?B?orDjga7jgYrnn6XjgonjgZs=?=\nContent-Type: text/html; charset=utf-8\n\n<p>こんにちは <a href=\"https://evil.example.com/x\">ここ</a></p><script>alert(1)</script>\n"))
	out := delivered(t, res)
	t.Logf("%s", out)
	p := parse(t, out)
	t.Logf("subject=%q body=%q", p.Subject, p.Body)
}
