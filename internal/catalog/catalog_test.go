package catalog

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestEveryKeyInEveryLanguage: each language file has exactly the keys
// of ja.toml, so no page shows a Japanese fallback by accident and no
// translation carries words nothing reads.
func TestEveryKeyInEveryLanguage(t *testing.T) {
	c := get()
	if len(c.langs) < 2 {
		t.Fatalf("languages %v, want at least ja and en", Languages())
	}
	for code, l := range c.langs {
		for _, k := range c.keys {
			if _, ok := l.msgs[k]; !ok {
				t.Errorf("%s.toml: no %q", code, k)
			}
		}
		for k := range l.msgs {
			if !Has(k) {
				t.Errorf("%s.toml: %q is not in ja.toml", code, k)
			}
		}
	}
}

var verb = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// verbs lists the format verbs of s in argument order, ignoring %%.
func verbs(s string) []string {
	var out []string
	next := 1
	byArg := map[int]string{}
	for _, v := range verb.FindAllStringSubmatch(s, -1) {
		if strings.HasSuffix(v[0], "%") {
			continue
		}
		if v[1] != "" {
			next, _ = strconv.Atoi(v[1][1 : len(v[1])-1])
		}
		byArg[next] = v[0][len(v[0])-1:]
		next++
	}
	for _, i := range slices.Sorted(maps.Keys(byArg)) {
		out = append(out, byArg[i])
	}
	return out
}

// TestFormatsAgree: a translation takes the same arguments as the
// Japanese, in kind (a %q for a %s is fine, a %d for a %s is not).
func TestFormatsAgree(t *testing.T) {
	c := get()
	class := func(vs []string) string {
		var b strings.Builder
		for _, v := range vs {
			switch v {
			case "s", "q", "v":
				b.WriteString("s")
			default:
				b.WriteString(v)
			}
		}
		return b.String()
	}
	for _, k := range c.keys {
		want := class(verbs(c.langs[Japanese].msgs[k].other()))
		for code, l := range c.langs {
			m := l.msgs[k]
			texts := []string{m.text}
			if m.forms != nil {
				texts = slices.Collect(maps.Values(m.forms))
			}
			for _, s := range texts {
				if got := class(verbs(s)); got != want {
					t.Errorf("%s %q: verbs %q, Japanese has %q", code, k, got, want)
				}
			}
		}
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name, lang, key string
		args            []any
		want            string
	}{
		{"Japanese", Japanese, "reason.encrypted", nil, "パスワード付き(暗号化)のため中身を確認できず、保留しました"},
		{"English", English, "reason.encrypted", nil, "encrypted, so it could not be inspected and was held"},
		{"arguments", Japanese, "page.err_empty", []any{"a.txt"}, "空のファイルです: a.txt"},
		{"no arguments leaves percent signs alone", English, "page.err_nofile", nil, "No file was sent."},
		{"unknown language reads Japanese", "xx", "page.login", nil, "ログイン"},
		{"unknown key reads as itself", English, "no.such.key", nil, "no.such.key"},
		{"plural table read without a count", English, "notice.inline_images", []any{3}, "3 images embedded in the body were removed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.lang, tt.key, tt.args...); got != tt.want {
				t.Errorf("Text(%q, %q) = %q, want %q", tt.lang, tt.key, got, tt.want)
			}
		})
	}
}

func TestN(t *testing.T) {
	tests := []struct {
		lang string
		n    int
		want string
	}{
		{English, 1, "1 image embedded in the body was removed"},
		{English, 2, "2 images embedded in the body were removed"},
		{English, 0, "0 images embedded in the body were removed"},
		{Japanese, 1, "本文中の画像（1件）を削除しました"},
		{Japanese, 2, "本文中の画像（2件）を削除しました"},
	}
	for _, tt := range tests {
		if got := N(tt.lang, "notice.inline_images", tt.n); got != tt.want {
			t.Errorf("N(%q, %d) = %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
	if got := N(English, "page.limits", 1, "100 MB"); got != "up to 1 file at once, 100 MB each" {
		t.Errorf("N with more arguments = %q", got)
	}
}

func TestLanguages(t *testing.T) {
	ls := Languages()
	if len(ls) < 2 || ls[0] != Japanese || !slices.Contains(ls, English) {
		t.Errorf("Languages() = %v, want ja first and en", ls)
	}
	for _, l := range ls {
		if !Supported(l) || Text(l, "language.name") == "language.name" {
			t.Errorf("%s: not supported or has no name", l)
		}
	}
	if Supported("xx") || Supported("") {
		t.Error("a language without a file is supported")
	}
}
