package text

import (
	"slices"
	"strings"
	"testing"
)

// bodyKinds run one line of text as a plain-text body (ApplyLinks, as the
// mail package does) and as the text of an HTML body, and return the
// text and the URLs found.
var bodyKinds = []struct {
	name string
	run  func(t *testing.T, line, policy string) (string, []string)
}{
	{"plain", func(t *testing.T, line, policy string) (string, []string) {
		var urls []string
		return ApplyLinks(line, policy, func(u string) { urls = append(urls, u) }), urls
	}},
	{"html", func(t *testing.T, line, policy string) (string, []string) {
		esc := strings.NewReplacer("&", "&amp;", "<", "&lt;").Replace(line)
		got, res := htmlText(t, "<p>"+esc+"</p>", HTMLOptions{Links: policy})
		return strings.TrimSuffix(got, "\n"), res.URLs
	}},
}

func TestURLEndsAtFirstCharacterOutsideRFC3986(t *testing.T) {
	tests := []struct {
		name, in, url, defanged string
	}{
		{"hiragana follows", "詳細はhttps://example.jp/infoをご覧ください",
			"https://example.jp/info", "詳細はhxxps://example[.]jp/infoをご覧ください"},
		{"kanji follows", "会場http://example.jp/map地図",
			"http://example.jp/map", "会場hxxp://example[.]jp/map地図"},
		{"full-width parenthesis", "（https://example.jp/a?b=1）参照",
			"https://example.jp/a?b=1", "（hxxps://example[.]jp/a?b=1）参照"},
		{"ideographic full stop", "申込はhttps://example.jp/form。",
			"https://example.jp/form", "申込はhxxps://example[.]jp/form。"},
		{"full-width letters", "https://example.jp/ｐａｔｈ",
			"https://example.jp/", "hxxps://example[.]jp/ｐａｔｈ"},
		{"quote and angle", `"https://example.com/q"<x>`,
			"https://example.com/q", `"hxxps://example[.]com/q"<x>`},
		{"reserved and percent kept", "https://example.com/a;b=c/%E6%97%A5?x=1&y=*#f~",
			"https://example.com/a;b=c/%E6%97%A5?x=1&y=*#f~", "hxxps://example[.]com/a;b=c/%E6%97%A5?x=1&y=*#f~"},
	}
	for _, kind := range bodyKinds {
		for _, tt := range tests {
			t.Run(kind.name+"/"+tt.name, func(t *testing.T) {
				got, urls := kind.run(t, tt.in, LinksDefang)
				if got != tt.defanged {
					t.Errorf("text %q, want %q", got, tt.defanged)
				}
				if !slices.Equal(urls, []string{tt.url}) {
					t.Errorf("URLs %q, want %q", urls, []string{tt.url})
				}
			})
		}
	}
}

func TestURLTrailingPunctuationStaysInTheSentence(t *testing.T) {
	tests := []struct{ in, url, rest string }{
		{"see https://example.com/a.", "https://example.com/a", "."},
		{"https://example.com/a, https://example.com/b", "https://example.com/a", ", hxxps://example[.]com/b"},
		{"really? https://example.com/q?!", "https://example.com/q", "?!"},
		{"(see https://example.com/x)", "https://example.com/x", ")"},
		{"https://en.example.org/wiki/Go_(language).", "https://en.example.org/wiki/Go_(language)", "."},
		{"'https://example.com/s':", "https://example.com/s", "':"},
		{"[https://example.com/b]", "https://example.com/b", "]"},
		{"https://[2001:db8::1]/v6", "https://[2001:db8::1]/v6", ""},
	}
	for _, kind := range bodyKinds {
		for _, tt := range tests {
			t.Run(kind.name+"/"+tt.in, func(t *testing.T) {
				got, urls := kind.run(t, tt.in, LinksDefang)
				if len(urls) == 0 || urls[0] != tt.url {
					t.Fatalf("URLs %q, want %q first", urls, tt.url)
				}
				if !strings.Contains(got, Defang(tt.url)+tt.rest) {
					t.Errorf("text %q: want %q", got, Defang(tt.url)+tt.rest)
				}
			})
		}
	}
}

func TestURLWithoutHostIsNotALink(t *testing.T) {
	for _, kind := range bodyKinds {
		t.Run(kind.name, func(t *testing.T) {
			in := "scheme https:// alone, and xhttps://example.com glued"
			got, urls := kind.run(t, in, LinksRemove)
			if got != in || len(urls) != 0 {
				t.Errorf("text %q, URLs %q: want the text unchanged and no URL", got, urls)
			}
		})
	}
}

// TestLinksPolicySameForPlainTextAndHTML proves that keep, defang and
// remove treat a URL written in an HTML body as in a plain-text body.
func TestLinksPolicySameForPlainTextAndHTML(t *testing.T) {
	in := "詳細はhttps://www.example.lg.jp/info?id=1をご覧ください。予備 http://example.com/a."
	want := map[string]string{
		LinksKeep:   in,
		LinksDefang: "詳細はhxxps://www[.]example[.]lg[.]jp/info?id=1をご覧ください。予備 hxxp://example[.]com/a.",
		LinksRemove: "詳細は" + RemovedLink() + "をご覧ください。予備 " + RemovedLink() + ".",
	}
	wantURLs := []string{"https://www.example.lg.jp/info?id=1", "http://example.com/a"}
	for _, policy := range []string{LinksKeep, LinksDefang, LinksRemove} {
		for _, kind := range bodyKinds {
			t.Run(policy+"/"+kind.name, func(t *testing.T) {
				got, urls := kind.run(t, in, policy)
				if got != want[policy] {
					t.Errorf("text %q\nwant %q", got, want[policy])
				}
				if !slices.Equal(urls, wantURLs) {
					t.Errorf("URLs %q, want %q", urls, wantURLs)
				}
			})
		}
	}
}

func TestLinksPolicyAppliesInsidePre(t *testing.T) {
	got, res := htmlText(t, "<pre>  手順: https://example.jp/a\n  以上</pre>", HTMLOptions{Links: LinksRemove})
	if got != "  手順: "+RemovedLink()+"\n  以上\n" || !slices.Equal(res.URLs, []string{"https://example.jp/a"}) {
		t.Errorf("text %q, URLs %q", got, res.URLs)
	}
}

func FuzzApplyLinks(f *testing.F) {
	for _, s := range []string{"詳細はhttps://example.jp/infoをご覧ください", "(https://a.example/b_(c)).", "https://" + strings.Repeat(")", 1000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spans := findURLs(s)
		last := 0
		for _, sp := range spans {
			u := s[sp[0]:sp[1]]
			if sp[0] < last || !textURL.MatchString(u) || strings.HasSuffix(u, "://") {
				t.Fatalf("span %v %q in %q", sp, u, s)
			}
			last = sp[1]
		}
		if out := ApplyLinks(s, LinksKeep, nil); out != s {
			t.Fatalf("keep changed %q to %q", s, out)
		}
		if removed := ApplyLinks(s, LinksRemove, nil); len(findURLs(removed)) != 0 {
			t.Fatalf("a URL is left after remove: %q", removed)
		}
	})
}
