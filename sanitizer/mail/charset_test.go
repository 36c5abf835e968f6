package mail

import (
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitizer"
)

// TestJapaneseCharsets checks that subjects and bodies in every charset
// Japanese mail uses, including the broken forms, come out as the exact
// UTF-8 text.
func TestJapaneseCharsets(t *testing.T) {
	const subject = "会議のお知らせ（第３回）"
	const body = "山田様\nいつもお世話になっております。\n①㈱の資料をお送りします。\n"
	const wantBody = "山田様\r\nいつもお世話になっております。\r\n①㈱の資料をお送りします。\r\n"
	const kana = "ｶﾀｶﾅはﾊﾝｶｸのままです。\n"
	const wantKana = "ｶﾀｶﾅはﾊﾝｶｸのままです。\r\n"
	utf := []byte(subject)
	isoSubj := enc(t, iso2022, subject)
	tests := []struct {
		name, raw, subject, body string
	}{
		{
			name: "ISO-2022-JP",
			raw: "Subject: " + bword("ISO-2022-JP", isoSubj) + "\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" +
				crlf(enc(t, iso2022, "山田様\nいつもお世話になっております。\n")),
			subject: subject, body: "山田様\r\nいつもお世話になっております。\r\n",
		},
		{
			name: "Shift_JIS base64 with NEC extensions",
			raw: "Subject: " + bword("Shift_JIS", enc(t, sjis, subject)) + "\r\nContent-Type: text/plain; charset=\"Shift_JIS\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
				b64lines([]byte(crlf(enc(t, sjis, body)))),
			subject: subject, body: wantBody,
		},
		{
			name: "cp932 label",
			raw: "Subject: " + bword("cp932", enc(t, sjis, subject)) + "\r\nContent-Type: text/plain; charset=cp932\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
				crlf(enc(t, sjis, body)),
			subject: subject, body: wantBody,
		},
		{
			name: "EUC-JP 8bit",
			raw: "Subject: " + bword("EUC-JP", enc(t, eucjp, subject)) + "\r\nContent-Type: text/plain; charset=EUC-JP\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
				crlf(enc(t, eucjp, "山田様\nいつもお世話になっております。\n")),
			subject: subject, body: "山田様\r\nいつもお世話になっております。\r\n",
		},
		{
			name: "UTF-8 quoted-printable with Q subject",
			raw: "Subject: =?UTF-8?Q?" + qword(subject) + "?=\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
				qpBody(body),
			subject: subject, body: wantBody,
		},
		{
			name: "half-width kana stay half-width (Shift_JIS)",
			raw: "Subject: " + bword("Shift_JIS", enc(t, sjis, "ﾃｽﾄ")) + "\r\nContent-Type: text/plain; charset=Shift_JIS\r\n\r\n" +
				crlf(enc(t, sjis, kana)),
			subject: "ﾃｽﾄ", body: wantKana,
		},
		{
			name: "raw ISO-2022-JP in the header and no charset on the body",
			raw: "Subject: " + isoSubj + "\r\nContent-Type: text/plain\r\n\r\n" +
				crlf(enc(t, iso2022, "山田様\nいつもお世話になっております。\n")),
			subject: subject, body: "山田様\r\nいつもお世話になっております。\r\n",
		},
		{
			name: "raw Shift_JIS 8-bit header",
			raw: "Subject: " + enc(t, sjis, subject) + "\r\nContent-Type: text/plain; charset=Shift_JIS\r\n\r\n" +
				crlf(enc(t, sjis, body)),
			subject: subject, body: wantBody,
		},
		{
			name:    "raw UTF-8 header (RFC 6532)",
			raw:     "Subject: " + subject + "\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" + crlf(body),
			subject: subject, body: wantBody,
		},
		{
			name: "UTF-8 encoded words split in the middle of a character",
			raw: "Subject: " + bword("UTF-8", string(utf[:4])) + "\r\n " + bword("UTF-8", string(utf[4:11])) + " " + bword("utf-8", string(utf[11:])) +
				"\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" + crlf(body),
			subject: subject, body: wantBody,
		},
		{
			name: "ISO-2022-JP encoded words split inside a character and escape sequence",
			raw: "Subject: " + bword("ISO-2022-JP", isoSubj[:6]) + "\r\n\t" + bword("ISO-2022-JP", isoSubj[6:]) +
				"\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n" + crlf(enc(t, iso2022, "山田様\n")),
			subject: subject, body: "山田様\r\n",
		},
		{
			name: "us-ascii label over ISO-2022-JP body",
			raw: "Subject: " + bword("ISO-2022-JP", isoSubj) + "\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" +
				crlf(enc(t, iso2022, "山田様\n")),
			subject: subject, body: "山田様\r\n",
		},
		{
			name: "unknown charset label over Shift_JIS is sniffed",
			raw: "Subject: " + bword("x-unknown-jp", enc(t, sjis, subject)) + "\r\nContent-Type: text/plain; charset=x-unknown-jp\r\n\r\n" +
				crlf(enc(t, sjis, body)),
			subject: subject, body: wantBody,
		},
	}
	e := newEngine(t, Options{}, sanitizer.Policy{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := "From: sender@example.com\r\nTo: staff@example.lg.jp\r\nMIME-Version: 1.0\r\n" + tt.raw
			p := parse(t, delivered(t, run(t, e, raw)))
			if p.Subject != tt.subject {
				t.Errorf("subject = %q, want %q", p.Subject, tt.subject)
			}
			if got := afterNotice(t, p.Body); got != tt.body {
				t.Errorf("body = %q, want %q", got, tt.body)
			}
		})
	}
}

// qword is the Q encoding of s with every octet escaped.
func qword(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		b.WriteString("=" + strings.ToUpper(hex2(c)))
	}
	return b.String()
}

func hex2(c byte) string {
	const h = "0123456789abcdef"
	return string([]byte{h[c>>4], h[c&15]})
}

// qpBody encodes every non-ASCII octet, with soft breaks under 76 columns.
func qpBody(s string) string {
	var b strings.Builder
	col := 0
	for _, c := range []byte(crlf(s)) {
		switch {
		case c == '\r' || c == '\n':
			b.WriteByte(c)
			col = 0
			continue
		case c >= 0x80 || c == '=':
			if col+3 > 73 {
				b.WriteString("=\r\n")
				col = 0
			}
			b.WriteString("=" + strings.ToUpper(hex2(c)))
			col += 3
		default:
			b.WriteByte(c)
			col++
		}
	}
	return b.String()
}
