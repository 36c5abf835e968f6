package text_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/mugai-project/mugai/sanitizer/text"
)

func ExampleRewrite() {
	// "名前,金額\r\n山田,=HYPERLINK(...)\r\n" in Shift_JIS.
	sjis := []byte("\x96\xbc\x91\x4f,\x8b\xe0\x8a\x7a\r\n\x8e\x52\x93\x63,=HYPERLINK(\"http://evil.example\")\r\n\x97\xe9\x96\xd8,-1200\r\n")
	var out bytes.Buffer
	st, err := text.Rewrite(context.Background(), bytes.NewReader(sjis), &out, text.Options{Format: text.FormatCSV})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(strings.ReplaceAll(out.String(), "\r\n", "⏎\n"))
	fmt.Println(st.Charset, st.Newline, st.FormulasNeutralized)
	// Output:
	// 名前,金額⏎
	// 山田,"'=HYPERLINK(""http://evil.example"")"⏎
	// 鈴木,-1200⏎
	// Shift_JIS CRLF 1
}

func ExampleHTMLToText() {
	in := `<h1>お知らせ</h1><p>詳しくは<a href="https://www.example.lg.jp/info">こちら</a>。</p>` +
		`<script>alert(1)</script><img src="https://t.example/p.gif" width=1 height=1>`
	res, err := text.HTMLToText(context.Background(), strings.NewReader(in), os.Stdout, text.HTMLOptions{Links: text.LinksDefang})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.URLs)
	fmt.Println(res.Removed["script"], res.Removed["tracking-pixel"])
	// Output:
	// 【お知らせ】
	//
	// 詳しくはこちら <hxxps://www[.]example[.]lg[.]jp/info>。
	// [https://www.example.lg.jp/info https://t.example/p.gif]
	// 1 1
}

func ExampleNeutralize() {
	for _, cell := range []string{"=1+1", "-123", "+81-3-1234-5678", "＠SUM(A1)", "東京"} {
		c, changed := text.Neutralize(cell)
		fmt.Printf("%s %v\n", c, changed)
	}
	// Output:
	// '=1+1 true
	// -123 false
	// +81-3-1234-5678 false
	// '＠SUM(A1) true
	// 東京 false
}

func ExampleApplyLinks() {
	line := "詳細はhttps://www.example.lg.jp/infoをご覧ください。"
	fmt.Println(text.ApplyLinks(line, text.LinksDefang, nil))
	fmt.Println(text.ApplyLinks(line, text.LinksRemove, func(u string) { fmt.Println("found", u) }))
	// Output:
	// 詳細はhxxps://www[.]example[.]lg[.]jp/infoをご覧ください。
	// found https://www.example.lg.jp/info
	// 詳細は[リンク削除]をご覧ください。
}
