package mail

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitizer"
)

func TestWinmailDatWithheld(t *testing.T) {
	tnef := append([]byte{0x78, 0x9f, 0x3e, 0x22, 0x01, 0x00}, bytes.Repeat([]byte{1, 0x90, 0, 0}, 40)...)
	raw := multipartMsg(stdHeader, "mixed", "b",
		"Content-Type: text/plain; charset=UTF-8\r\n\r\n本文\r\n",
		"Content-Type: application/ms-tnef; name=\"winmail.dat\"\r\nContent-Disposition: attachment; filename=\"winmail.dat\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64lines(tnef))
	e := newEngine(t, Options{}, sanitizer.Policy{})
	p := parse(t, delivered(t, run(t, e, raw)))
	if len(p.Attachments) != 0 {
		t.Errorf("winmail.dat attached: %+v", p.Attachments)
	}
	if n := notice(t, p.Body); !strings.Contains(n, "添付ファイル「winmail.dat」は") {
		t.Errorf("notice does not mention winmail.dat:\n%s", n)
	}
}

func TestCalendarBecomesText(t *testing.T) {
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:打ち合わせ\r\nDTSTART:20261201T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	raw := multipartMsg(stdHeader, "mixed", "b",
		"Content-Type: text/plain; charset=UTF-8\r\n\r\n招待です\r\n",
		"Content-Type: text/calendar; method=REQUEST; charset=UTF-8\r\n\r\n"+ics)
	e := newEngine(t, Options{}, sanitizer.Policy{})
	p := parse(t, delivered(t, run(t, e, raw)))
	checkClean(t, p)
	// Rebuilt by sanitizer/calendar as a calendar of its own.
	if len(p.Attachments) != 1 || p.Attachments[0].Type != "text/calendar" || !strings.Contains(string(p.Attachments[0].Data), "SUMMARY:打ち合わせ") {
		t.Errorf("calendar attached as %+v", p.Attachments)
	}
}

func TestUnknownTransferEncodingReported(t *testing.T) {
	raw := stdHeader + "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: x-gzip64\r\n\r\n本文\r\n"
	e := newEngine(t, Options{}, sanitizer.Policy{})
	res := run(t, e, raw)
	p := parse(t, delivered(t, res))
	if got := afterNotice(t, p.Body); got != "本文\r\n" {
		t.Errorf("body %q", got)
	}
	found := false
	for _, f := range res.Report.Findings {
		found = found || f.Code == "mail-unknown-transfer-encoding"
	}
	if !found {
		t.Errorf("no finding: %+v", res.Report.Findings)
	}
}

func TestNestedMessagesBeyondEngineDepth(t *testing.T) {
	msg := stdHeader + "Content-Type: text/plain\r\n\r\n最深部\r\n"
	for i := 0; i < 6; i++ {
		msg = multipartMsg(stdHeader, "mixed", fmt.Sprintf("n%d", i), fmt.Sprintf("Content-Type: text/plain\r\n\r\nlevel %d\r\n", i), "Content-Type: message/rfc822\r\n\r\n"+msg)
	}
	e := newEngine(t, Options{}, sanitizer.Policy{})
	p := parse(t, delivered(t, run(t, e, msg)))
	depth := 0
	for len(p.Attachments) == 1 && p.Attachments[0].Type == "message/rfc822" {
		p = parse(t, p.Attachments[0].Data)
		depth++
	}
	if depth != 3 {
		t.Errorf("%d levels of messages delivered, want the engine's 3", depth)
	}
	if n := notice(t, p.Body); !strings.Contains(n, "入れ子が深すぎるため削除しました") {
		t.Errorf("innermost notice:\n%s", n)
	}
}

func TestNFKCOption(t *testing.T) {
	raw := stdHeader + "Content-Type: text/plain; charset=UTF-8\r\n\r\nｶﾀｶﾅ①\r\n"
	for _, tt := range []struct {
		nfkc bool
		want string
	}{{false, "ｶﾀｶﾅ①\r\n"}, {true, "カタカナ1\r\n"}} {
		e := newEngine(t, Options{NFKC: tt.nfkc}, sanitizer.Policy{})
		p := parse(t, delivered(t, run(t, e, raw)))
		if got := afterNotice(t, p.Body); got != tt.want {
			t.Errorf("NFKC=%v: body %q, want %q", tt.nfkc, got, tt.want)
		}
	}
}

func TestVerifyMessageRejects(t *testing.T) {
	good := "From: a@example.com\r\nSubject: ok\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nhello\r\n"
	mixed := func(part string) string {
		return "From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nhi\r\n--b\r\n" + part + "\r\n--b--\r\n"
	}
	tests := []struct{ name, msg string }{
		{"html part", mixed("Content-Type: text/html\r\n\r\n<p>x</p>")},
		{"html top level", strings.Replace(good, "text/plain", "text/html", 1)},
		{"script in text", strings.Replace(good, "hello", "<script>x</script>", 1)},
		{"script in subject", strings.Replace(good, "Subject: ok", "Subject: =?UTF-8?Q?<script>?=", 1)},
		{"CR LF in decoded subject", strings.Replace(good, "Subject: ok", "Subject: =?UTF-8?Q?a=0D=0ABcc:_x?=", 1)},
		{"bare LF", strings.Replace(good, "hello\r\n", "hello\n", 1)},
		{"8-bit byte", strings.Replace(good, "hello", "h\xe9llo", 1)},
		{"line over 998", strings.Replace(good, "hello", strings.Repeat("a", 999), 1)},
		{"executable attachment", mixed("Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64lines(fakeEXE))},
		{"declared type lies", mixed("Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64lines(tinyPNG(t)))},
		{"nested multipart", mixed("Content-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\nContent-Type: text/plain\r\n\r\nx\r\n--c--")},
		{"bad inner message", mixed("Content-Type: message/rfc822\r\n\r\nFrom: x@y.z\r\nContent-Type: text/html\r\n\r\n<b>x</b>")},
	}
	ctx := context.Background()
	if err := VerifyMessage(ctx, strings.NewReader(good), int64(len(good))); err != nil {
		t.Fatalf("a good message fails: %v", err)
	}
	if m := mixed("Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64lines(tinyPNG(t))); VerifyMessage(ctx, strings.NewReader(m), int64(len(m))) != nil {
		t.Fatalf("a good PNG attachment fails: %v", VerifyMessage(ctx, strings.NewReader(m), int64(len(m))))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := VerifyMessage(ctx, strings.NewReader(tt.msg), int64(len(tt.msg))); err == nil {
				t.Errorf("accepted:\n%s", tt.msg)
			}
		})
	}
}

func TestScriptLookalikesInHeaders(t *testing.T) {
	raw := "From: Script Team <script@example.com>\r\nTo: staff@example.lg.jp\r\nSubject: x\r\n" +
		"Date: <script>alert(1)</script>\r\nMessage-ID: <script>\r\nReceived: from <script src=x> by mx\r\n" +
		"Content-Type: text/plain\r\n\r\nbody\r\n"
	e := newEngine(t, Options{}, sanitizer.Policy{})
	out := delivered(t, run(t, e, raw))
	p := parse(t, out)
	if from, err := p.Header.AddressList("From"); err != nil || from[0].Address != "script@example.com" {
		t.Errorf("From = %v, %v", from, err)
	}
	if scriptTagEnd.Match(out) {
		t.Errorf("output keeps a script tag:\n%s", out)
	}
}

func TestInlineImagesAttachOptionAndEnglish(t *testing.T) {
	related := "Content-Type: multipart/related; boundary=r\r\n\r\n--r\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>画像つき</p><img src=\"cid:img1@x\">\r\n" +
		"--r\r\nContent-Type: image/png\r\nContent-ID: <img1@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64lines(tinyPNG(t)) + "--r--\r\n"
	e := newEngine(t, Options{InlineImages: "attach", English: true}, sanitizer.Policy{})
	p := parse(t, delivered(t, run(t, e, stdHeader+"MIME-Version: 1.0\r\n"+related)))
	if len(p.Attachments) != 1 || p.Attachments[0].Type != "image/png" {
		t.Errorf("inline image not attached: %+v", p.Attachments)
	}
	if n := notice(t, p.Body); !strings.Contains(n, "This message was made harmless") || !strings.Contains(n, "(The HTML body was converted to plain text") {
		t.Errorf("no English in the notice:\n%s", n)
	}
}

// tnefAttr is one TNEF attribute with its checksum ([MS-OXTNEF] §2.1.3.1).
func tnefAttr(level byte, id uint32, data []byte) []byte {
	b := []byte{level}
	b = binary.LittleEndian.AppendUint32(b, id)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	var sum uint16
	for _, c := range data {
		sum += uint16(c)
	}
	return binary.LittleEndian.AppendUint16(b, sum)
}

func TestWinmailDatUnpacked(t *testing.T) {
	var tn []byte
	tn = binary.LittleEndian.AppendUint32(tn, tnefSignature)
	tn = append(tn, 0x01, 0x00)
	tn = append(tn, tnefAttr(1, 0x00089006, []byte{0, 0, 1, 0})...)
	tn = append(tn, tnefAttr(2, attRendData, make([]byte, 14))...)
	tn = append(tn, tnefAttr(2, attAttachTitle, []byte(enc(t, sjis, "議事録.txt")+"\x00"))...)
	tn = append(tn, tnefAttr(2, attAttachData, []byte("会議の議事録です。\r\n"))...)
	tn = append(tn, tnefAttr(2, attRendData, make([]byte, 14))...)
	tn = append(tn, tnefAttr(2, attAttachTitle, []byte("tool.exe\x00"))...)
	tn = append(tn, tnefAttr(2, attAttachData, fakeEXE)...)
	raw := multipartMsg(stdHeader, "mixed", "b",
		"Content-Type: text/plain; charset=UTF-8\r\n\r\n本文\r\n",
		"Content-Type: application/ms-tnef; name=\"winmail.dat\"\r\nContent-Disposition: attachment; filename=\"winmail.dat\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64lines(tn))
	e := newEngine(t, Options{}, sanitizer.Policy{})
	p := parse(t, delivered(t, run(t, e, raw)))
	checkClean(t, p)
	if len(p.Attachments) != 1 || p.Attachments[0].Filename != "議事録.txt" || !strings.Contains(string(p.Attachments[0].Data), "会議の議事録です。") {
		t.Errorf("attachments %+v", p.Attachments)
	}
	n := notice(t, p.Body)
	for _, want := range []string{"添付ファイル「winmail.dat」(Outlook形式) からファイルを取り出しました", "添付ファイル「tool.exe」(実行ファイル) を削除しました"} {
		if !strings.Contains(n, want) {
			t.Errorf("notice lacks %q:\n%s", want, n)
		}
	}
}
