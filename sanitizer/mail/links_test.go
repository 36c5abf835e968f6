package mail

import (
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitizer"
)

// TestLinksPolicySameForPlainTextAndHTMLBodies sends the same sentence
// as a text/plain and as a text/html body: keep, defang and remove give
// the same text for both, and the Japanese right after a URL stays.
func TestLinksPolicySameForPlainTextAndHTMLBodies(t *testing.T) {
	line := "詳細はhttps://example.jp/infoをご覧ください。"
	bodies := map[string]string{
		"plain": "Content-Type: text/plain; charset=UTF-8\r\n\r\n" + line + "\r\n",
		"html":  "Content-Type: text/html; charset=UTF-8\r\n\r\n<html><body><p>" + line + "</p></body></html>\r\n",
	}
	want := map[string]string{
		LinksKeep:   "詳細はhttps://example.jp/infoをご覧ください。\r\n",
		LinksDefang: "詳細はhxxps://example[.]jp/infoをご覧ください。\r\n",
		LinksRemove: "詳細は[リンク削除]をご覧ください。\r\n",
	}
	for _, policy := range []string{LinksKeep, LinksDefang, LinksRemove} {
		for _, kind := range []string{"plain", "html"} {
			t.Run(policy+"/"+kind, func(t *testing.T) {
				e := newEngine(t, Options{Links: policy}, sanitizer.Policy{})
				res := run(t, e, stdHeader+bodies[kind])
				got := afterNotice(t, parse(t, delivered(t, res)).Body)
				if strings.TrimRight(got, "\r\n") != strings.TrimRight(want[policy], "\r\n") {
					t.Errorf("body %q, want %q", got, want[policy])
				}
				notes := strings.Join(res.Report.Notes, " ")
				if !strings.Contains(notes, "https://example.jp/info") || strings.Contains(notes, "https://example.jp/infoを") {
					t.Errorf("the report lists not exactly the URL: %v", res.Report.Notes)
				}
			})
		}
	}
}
