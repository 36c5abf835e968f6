package mail

import (
	"context"
	"mime"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// The messages here have the shapes real mail has: what Japanese and
// old mailers send and what MTAs write into bounces.

const realBody = "ご担当者様\r\n\r\nいつもお世話になっております。見積書の件、承知いたしました。\r\n以上、よろしくお願いいたします。\r\n"

func encodeTo(t *testing.T, enc encoding.Encoding, s string) string {
	t.Helper()
	b, err := enc.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readBack sanitizes raw, asserts it was detected as a message and
// delivered, and parses the output independently.
func readBack(t *testing.T, raw string) (parsed, *sanitizer.Report, []byte) {
	t.Helper()
	e := newEngine(t, Options{}, sanitizer.Policy{})
	res := run(t, e, raw)
	if res.Report.Detected != detect.EML {
		t.Fatalf("detected %s, want eml", res.Report.Detected)
	}
	out := delivered(t, res)
	return parse(t, out), res.Report, out
}

func decodedField(t *testing.T, p parsed, name string) string {
	t.Helper()
	v, err := (&mime.WordDecoder{}).DecodeHeader(p.Header.Get(name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func hasFinding(rep *sanitizer.Report, code string) bool {
	for _, f := range rep.Findings {
		if f.Code == code {
			return true
		}
	}
	return false
}

func TestRawEightBitFirstHeader(t *testing.T) {
	for _, tc := range []struct {
		name string
		enc  encoding.Encoding
	}{
		{"Shift_JIS", japanese.ShiftJIS},
		{"EUC-JP", japanese.EUCJP},
		{"UTF-8", encoding.Nop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := "From: " + encodeTo(t, tc.enc, "山田 太郎（総務課）") + " <taro@example.co.jp>\r\n" +
				"To: " + encodeTo(t, tc.enc, "市役所 総務課") + " <soumu@city.example.lg.jp>\r\n" +
				"Subject: " + encodeTo(t, tc.enc, "見積書の件") + "\r\n" +
				"Date: Tue, 24 Nov 2026 10:00:00 +0900\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + realBody
			p, rep, out := readBack(t, raw)
			if got := decodedField(t, p, "From"); got != "山田 太郎（総務課） <taro@example.co.jp>" {
				t.Errorf("From reads %q", got)
			}
			if got := decodedField(t, p, "To"); got != "市役所 総務課 <soumu@city.example.lg.jp>" {
				t.Errorf("To reads %q", got)
			}
			if p.Subject != "見積書の件" {
				t.Errorf("Subject reads %q", p.Subject)
			}
			if !strings.Contains(afterNotice(t, p.Body), realBody) {
				t.Errorf("body not whole:\n%s", p.Body)
			}
			hdr := out[:strings.Index(string(out), "\r\n\r\n")]
			for _, c := range hdr {
				if c >= 0x80 {
					t.Fatalf("the written header is not 7-bit (RFC 2047 words expected):\n%s", hdr)
				}
			}
			if !hasFinding(rep, "mail-header-8bit") {
				t.Errorf("no mail-header-8bit finding: %+v", rep.Findings)
			}
		})
	}
}

func TestNULInMessage(t *testing.T) {
	for _, tc := range []struct{ name, raw string }{
		{"subject", "From: sender@example.co.jp\r\nTo: soumu@city.example.lg.jp\r\nSubject: 見積\x00書の件\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" + realBody},
		{"last byte", "From: sender@example.co.jp\r\nTo: soumu@city.example.lg.jp\r\nSubject: 見積書の件\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" + realBody + "\x00"},
		{"body", "From: sender@example.co.jp\r\nTo: soumu@city.example.lg.jp\r\nSubject: 見積書の件\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" + strings.Replace(realBody, "見積書", "見積\x00書", 1)},
		{"unlabelled Shift_JIS body", "From: sender@example.co.jp\r\nTo: soumu@city.example.lg.jp\r\nSubject: 見積書の件\r\n\r\n" + strings.Replace(encodeTo(t, japanese.ShiftJIS, realBody), "\x8c", "\x00\x8c", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, rep, _ := readBack(t, tc.raw)
			if p.Subject != "見積書の件" {
				t.Errorf("Subject reads %q", p.Subject)
			}
			if !strings.Contains(afterNotice(t, p.Body), realBody) {
				t.Errorf("body not whole:\n%s", p.Body)
			}
			if !hasFinding(rep, "mail-nul-bytes") {
				t.Errorf("the NUL is not reported: %+v", rep.Findings)
			}
		})
	}
}

func TestLineEnds(t *testing.T) {
	lf := "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.co.jp>\nTo: soumu@city.example.lg.jp\nSubject: =?UTF-8?B?6KaL56mN5pu444Gu5Lu2?=\n" +
		"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain; charset=UTF-8\n\n" +
		strings.ReplaceAll(realBody, "\r\n", "\n") + "--b\nContent-Type: text/plain; charset=UTF-8\nContent-Disposition: attachment; filename=\"memo.txt\"\n\nメモ\n--b--\n"
	for _, tc := range []struct{ name, raw string }{
		{"CRLF", strings.ReplaceAll(lf, "\n", "\r\n")},
		{"LF", lf},
		{"CR", strings.ReplaceAll(lf, "\n", "\r")},
		{"CR after an mbox From line", "From yamada@example.co.jp Tue Nov 24 10:00:00 2026\r" + strings.ReplaceAll(lf, "\n", "\r")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _, _ := readBack(t, tc.raw)
			if got := decodedField(t, p, "From"); got != "山田 <yamada@example.co.jp>" {
				t.Errorf("From reads %q", got)
			}
			if got := p.Header.Get("To"); got != "<soumu@city.example.lg.jp>" {
				t.Errorf("To reads %q", got)
			}
			if p.Subject != "見積書の件" {
				t.Errorf("Subject reads %q", p.Subject)
			}
			if !strings.Contains(afterNotice(t, p.Body), realBody) {
				t.Errorf("body not whole:\n%q", p.Body)
			}
			if len(p.Attachments) != 1 || strings.TrimSpace(string(p.Attachments[0].Data)) != "メモ" {
				t.Errorf("attachment lost: %+v", p.Attachments)
			}
		})
	}
}

func TestQuotedPrintableRawISO2022JP(t *testing.T) {
	// Exchange Online's bounce: quoted-printable whose ISO-2022-JP text
	// keeps its raw ESC bytes, with a real escape and soft line breaks
	// around them.
	jis := encodeTo(t, japanese.ISO2022JP, "配信できませんでした。宛先のメールボックスが見つかりません。")
	raw := "From: postmaster@example.onmicrosoft.com\r\nTo: soumu@city.example.lg.jp\r\nSubject: Undeliverable\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"Delivery has failed to these recipients or groups:=\r\n\r\n" + jis + "\r\n" +
		"Diagnostic information for administrators: 550 5.1.1 =3D user unknown =\r\nat the end\r\n" +
		"an = sign alone, =ZZ, and the last line\r\n"
	p, _, _ := readBack(t, raw)
	text := afterNotice(t, p.Body)
	for _, want := range []string{
		"Delivery has failed to these recipients or groups:\r\n",
		"配信できませんでした。宛先のメールボックスが見つかりません。\r\n",
		"550 5.1.1 = user unknown at the end\r\n",
		"an = sign alone, =ZZ, and the last line\r\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("body lacks %q:\n%s", want, text)
		}
	}
}

func TestLatin1Header(t *testing.T) {
	raw := "From: Jo\xe3o Gon\xe7alves <joao@example.com.br>\r\nTo: soumu@city.example.lg.jp\r\nSubject: Forma\xe7\xe3o de equipe \x96 M\xfcller & Caf\xe9\r\n" +
		"Content-Type: text/plain\r\n\r\nOl\xe1, segue a programa\xe7\xe3o.\r\n"
	p, _, _ := readBack(t, raw)
	if p.Subject != "Formação de equipe – Müller & Café" {
		t.Errorf("Subject reads %q", p.Subject)
	}
	if got := decodedField(t, p, "From"); got != "João Gonçalves <joao@example.com.br>" {
		t.Errorf("From reads %q", got)
	}
	if !strings.Contains(afterNotice(t, p.Body), "Olá, segue a programação.") {
		t.Errorf("body reads %q", p.Body)
	}
}

func TestJapaneseHeadersStayJapanese(t *testing.T) {
	// The Windows-1252 reading must not win over Japanese text. (A few
	// EUC-JP kanji alone, such as 確認, read as much like Shift_JIS
	// half-width katakana; see charset.SniffLatin.)
	for _, s := range []string{"見積書", "ご確認", "ｱﾝｹｰﾄ", "ｶﾀｶﾅ", "Re: 会議室の予約 ABC", "テスト", "【重要】山田（総務課）", "Windows版の件", "ご確認のほど"} {
		for _, enc := range []encoding.Encoding{japanese.ShiftJIS, japanese.EUCJP} {
			if enc == japanese.EUCJP && (s == "ｱﾝｹｰﾄ" || s == "ｶﾀｶﾅ") {
				continue // half-width katakana in EUC-JP is 0x8E pairs, tested below
			}
			var f textFindings
			if got := rawToUTF8([]byte(encodeTo(t, enc, s)), &f); got != s {
				t.Errorf("%q in %v reads %q", s, enc, got)
			}
		}
	}
	var f textFindings
	if got := rawToUTF8([]byte(encodeTo(t, japanese.EUCJP, "ｱﾝｹｰﾄ")), &f); got != "ｱﾝｹｰﾄ" {
		t.Errorf("EUC-JP half-width katakana reads %q", got)
	}
}

func TestTextAttachmentNamesCharset(t *testing.T) {
	raw := stdHeader + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n本文\r\n" +
		"--b\r\nContent-Type: text/plain; charset=Shift_JIS\r\nContent-Disposition: attachment; filename=\"memo.txt\"\r\n\r\n" + encodeTo(t, japanese.ShiftJIS, "議事録メモ") + "\r\n" +
		"--b\r\nContent-Type: text/csv; charset=Shift_JIS\r\nContent-Disposition: attachment; filename=\"list.csv\"\r\n\r\n" + encodeTo(t, japanese.ShiftJIS, "氏名,所属\r\n山田,総務課\r\n") +
		"--b--\r\n"
	_, _, out := readBack(t, raw)
	msg := string(out)
	for _, name := range []string{"memo.txt", "list.csv"} {
		i := strings.Index(msg, `name="`+name+`"`)
		if i < 0 {
			t.Fatalf("no part for %s:\n%s", name, msg)
		}
		ct := msg[strings.LastIndex(msg[:i], "Content-Type:"):i]
		_, params, err := mime.ParseMediaType(strings.TrimPrefix(strings.ReplaceAll(ct, "\r\n", ""), "Content-Type:") + `name="` + name + `"`)
		if err != nil {
			t.Fatal(err)
		}
		if params["charset"] != "UTF-8" {
			t.Errorf("%s: Content-Type %q names no UTF-8 charset", name, ct)
		}
	}
}

func TestClaimedMessageThatIsNoMessage(t *testing.T) {
	// Input.Kind makes the mail handler read an item; what reads as no
	// header at all is withheld, never passed or guessed at.
	e := newEngine(t, Options{}, sanitizer.Policy{})
	for _, tc := range []struct{ name, body string }{
		{"executable", "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"},
		{"pdf", "%PDF-1.7\n1 0 obj\n<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\nendobj\n"},
		{"mbox line only", "From someone Tue Nov 24 10:00:00 2026\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.Sanitize(context.Background(), sanitizer.Input{Name: "message.eml", Kind: detect.EML, Body: strings.NewReader(tc.body)})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			if !res.Report.Withheld || len(res.Outputs) != 0 {
				t.Fatalf("not withheld: action %s, %d outputs", res.Report.Action, len(res.Outputs))
			}
			if len(res.Report.Reasons) == 0 || res.Report.Reasons[0].Code != sanitizer.ReasonMalformed {
				t.Errorf("reasons %+v, want malformed", res.Report.Reasons)
			}
		})
	}
}

func TestClaimedMessageSniffedOtherwise(t *testing.T) {
	// Mixed raw charsets make the sniffer refuse the bytes as text; the
	// relay's claim still has it read as the message it is.
	raw := "Received: from mx.example.co.jp by mugai; Tue, 24 Nov 2026 10:00:00 +0900\r\nFrom: " + encodeTo(t, japanese.ShiftJIS, "山田") + " <y@example.co.jp>\r\n" +
		"To: soumu@city.example.lg.jp\r\nSubject: %PDF-1.7 \x00\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" + realBody
	e := newEngine(t, Options{}, sanitizer.Policy{})
	res, err := e.Sanitize(context.Background(), sanitizer.Input{Name: "message.eml", Kind: detect.EML, Body: strings.NewReader(raw)})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if !hasFinding(res.Report, sanitizer.FindingClaimedKind) {
		t.Errorf("the claim is not reported: %+v", res.Report.Findings)
	}
	p := parse(t, delivered(t, res))
	if got := decodedField(t, p, "From"); got != "山田 <y@example.co.jp>" {
		t.Errorf("From reads %q", got)
	}
	if !strings.Contains(afterNotice(t, p.Body), realBody) {
		t.Errorf("body not whole:\n%s", p.Body)
	}
}

func TestRawHeaderCharsetFromTheWholeHeader(t *testing.T) {
	// "山田" alone in EUC-JP reads as well as Shift_JIS ｻｳﾅﾄ. The other
	// raw fields, or the body's label, decide.
	name := encodeTo(t, japanese.EUCJP, "山田")
	for _, tc := range []struct{ name, raw string }{
		{"a Subject beside it", "From: " + name + " <y@example.co.jp>\r\nSubject: " + encodeTo(t, japanese.EUCJP, "会議のご案内") + "\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nx\r\n"},
		{"the body's label", "From: " + name + " <y@example.co.jp>\r\nSubject: meeting\r\nContent-Type: text/plain; charset=EUC-JP\r\n\r\n" + encodeTo(t, japanese.EUCJP, "本文") + "\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _, _ := readBack(t, tc.raw)
			if got := decodedField(t, p, "From"); got != "山田 <y@example.co.jp>" {
				t.Errorf("From reads %q", got)
			}
		})
	}
}
