package charset

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
)

// greeting has hiragana, kanji, half-width katakana, NEC special
// characters and the CP932 full-width tilde.
const greeting = "お世話になっております。ｶﾀｶﾅ ①㈱～"

func encode(t testing.TB, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encoding %q: %v", s, err)
	}
	return b
}

func decodeAll(t testing.TB, cs Charset, b []byte) string {
	t.Helper()
	out, err := io.ReadAll(Decoder(cs, bytes.NewReader(b)))
	if err != nil {
		t.Fatalf("Decoder(%s): %v", cs, err)
	}
	return string(out)
}

// greetingISO2022JP is greeting written by hand: JIS X 0208 after ESC $ B,
// half-width katakana after ESC ( I (JIS X 0201), ASCII after ESC ( B.
const greetingISO2022JP = "\x1b$B$*@$OC$K$J$C$F$*$j$^$9!#\x1b(I6@6E\x1b(B \x1b$B-!-j!A\x1b(B"

func TestCharsetRoundTrip(t *testing.T) {
	utf16le := append([]byte{0xFF, 0xFE}, encode(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), greeting)...)
	utf16be := append([]byte{0xFE, 0xFF}, encode(t, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), greeting)...)
	tests := []struct {
		name string
		in   []byte
		want Charset
	}{
		{"UTF-8", []byte(greeting), UTF8},
		{"UTF-8 BOM", append([]byte("\xEF\xBB\xBF"), greeting...), UTF8},
		{"UTF-16LE BOM", utf16le, UTF16LE},
		{"UTF-16BE BOM", utf16be, UTF16BE},
		{"Shift_JIS", encode(t, japanese.ShiftJIS, greeting), ShiftJIS},
		{"EUC-JP", encode(t, japanese.EUCJP, greeting), EUCJP},
		{"ISO-2022-JP", []byte(greetingISO2022JP), ISO2022JP},
		{"ISO-2022-JP x/text", encode(t, japanese.ISO2022JP, greeting), ISO2022JP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sniff(tt.in); got != tt.want {
				t.Fatalf("Sniff = %q, want %q", got, tt.want)
			}
			if got := decodeAll(t, tt.want, tt.in); got != greeting {
				t.Errorf("decoded %q, want %q", got, greeting)
			}
		})
	}
}

func TestDecodeCP932Extensions(t *testing.T) {
	tests := []struct {
		name string
		sjis []byte
		want string
	}{
		{"NEC circled digit ①", []byte{0x87, 0x40}, "①"},
		{"NEC ㈱", []byte{0x87, 0x8A}, "㈱"},
		{"NEC №", []byte{0x87, 0x82}, "№"},
		{"0x8160 is FULLWIDTH TILDE U+FF5E, not WAVE DASH", []byte{0x81, 0x60}, "\uFF5E"},
		{"0x817C is FULLWIDTH HYPHEN-MINUS U+FF0D", []byte{0x81, 0x7C}, "\uFF0D"},
		{"0x8161 is PARALLEL TO U+2225", []byte{0x81, 0x61}, "\u2225"},
		{"NEC-selected IBM extension 纊", []byte{0xED, 0x40}, "纊"},
		{"NEC-selected IBM extension ⅰ", []byte{0xEE, 0xEF}, "ⅰ"},
		{"IBM extension 纊", []byte{0xFA, 0x5C}, "纊"},
		{"IBM extension ⅰ", []byte{0xFA, 0x40}, "ⅰ"},
		{"IBM extension 髙", []byte{0xFB, 0xFC}, "髙"},
		{"half-width katakana", []byte{0xB6, 0xC0, 0xB6, 0xC5}, "ｶﾀｶﾅ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decodeAll(t, ShiftJIS, tt.sjis); got != tt.want {
				t.Errorf("got %q %U, want %q", got, []rune(got), tt.want)
			}
		})
	}
}

func TestDecodeISO2022JP(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"JIS X 0208-1983 ESC $ B", "\x1b$B$3$s$K$A$O\x1b(B", "こんにちは"},
		{"JIS X 0208-1978 ESC $ @", "\x1b$@$3$s$K$A$O\x1b(B", "こんにちは"},
		{"half-width katakana ESC ( I", "abc\x1b(I6@6E\x1b(Bxyz", "abcｶﾀｶﾅxyz"},
		{"JIS X 0201 Roman ESC ( J", "\x1b(Jabc\x1b(B", "abc"},
		{"NEC row 13 ①㈱", "\x1b$B-!-j\x1b(B", "①㈱"},
		{"tilde", "\x1b$B!A\x1b(B", "～"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decodeAll(t, ISO2022JP, []byte(tt.in)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSniffHalfWidthKatakanaSJISvsEUC(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want Charset
	}{
		{"SJIS ｶﾀｶﾅ only", []byte{0xB6, 0xC0, 0xB6, 0xC5}, ShiftJIS},
		{"EUC-JP ｶﾀｶﾅ only (0x8E prefix)", []byte{0x8E, 0xB6, 0x8E, 0xC0, 0x8E, 0xB6, 0x8E, 0xC5}, EUCJP},
		{"SJIS ﾃｽﾄ with ASCII", append([]byte("code="), 0xC3, 0xBD, 0xC4, '\n'), ShiftJIS},
		{"EUC-JP ﾃｽﾄ with ASCII", append([]byte("code="), 0x8E, 0xC3, 0x8E, 0xBD, 0x8E, 0xC4, '\n'), EUCJP},
		{"SJIS kana and hiragana", encode(t, japanese.ShiftJIS, "ｶﾀｶﾅとひらがな"), ShiftJIS},
		{"EUC-JP kana and hiragana", encode(t, japanese.EUCJP, "ｶﾀｶﾅとひらがな"), EUCJP},
		{"EUC-JP hiragana only", encode(t, japanese.EUCJP, "あいうえお"), EUCJP},
		{"EUC-JP kanji", encode(t, japanese.EUCJP, "東京都千代田区霞が関"), EUCJP},
		{"SJIS kanji", encode(t, japanese.ShiftJIS, "東京都千代田区霞が関"), ShiftJIS},
		{"SJIS zengin-style half-width names", encode(t, japanese.ShiftJIS, "1,ﾔﾏﾀﾞ ﾀﾛｳ,ｶ)ﾐﾄﾞﾘｼｮｳｼﾞ,10000\r\n2,ｽｽﾞｷ ﾊﾅｺ,ﾐﾄﾞﾘｼ,2500\r\n"), ShiftJIS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sniff(tt.in); got != tt.want {
				t.Errorf("Sniff(% x) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSniffUTF8WithStrayBytes(t *testing.T) {
	in := []byte(strings.Repeat(greeting, 3) + "caf\xE9 " + greeting)
	if got := Sniff(in); got != UTF8 {
		t.Fatalf("Sniff = %q, want UTF-8", got)
	}
	out := decodeAll(t, UTF8, in)
	if !strings.Contains(out, "caf\uFFFD "+greeting) {
		t.Errorf("decoded %q", out)
	}
	// Shift_JIS and EUC-JP text is not taken for damaged UTF-8.
	long := strings.Repeat("東京都千代田区霞が関１－２－３　総務課ｿｳﾑｶ①㈱\r\n", 20)
	for _, cs := range []struct {
		enc  encoding.Encoding
		want Charset
	}{{japanese.ShiftJIS, ShiftJIS}, {japanese.EUCJP, EUCJP}} {
		if got := Sniff(encode(t, cs.enc, long)); got != cs.want {
			t.Errorf("Sniff = %q, want %q", got, cs.want)
		}
	}
}

func TestSniffCutMidCharacter(t *testing.T) {
	long := strings.Repeat(greeting+"\r\n", 50)
	for _, tc := range []struct {
		cs  Charset
		enc []byte
	}{
		{UTF8, []byte(long)},
		{ShiftJIS, encode(t, japanese.ShiftJIS, long)},
		{EUCJP, encode(t, japanese.EUCJP, long)},
		{UTF16LE, append([]byte{0xFF, 0xFE}, encode(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), long)...)},
	} {
		t.Run(string(tc.cs), func(t *testing.T) {
			// Every cut from 1 to 40 bytes past a start, including mid-character.
			for cut := len(tc.enc) - 40; cut < len(tc.enc); cut++ {
				if got := Sniff(tc.enc[:cut]); got != tc.cs {
					t.Fatalf("cut at %d: Sniff = %q, want %q", cut, got, tc.cs)
				}
			}
		})
	}
}

func TestSniffShortSamples(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want Charset
	}{
		{"empty", nil, ASCII},
		{"ascii", []byte("hello\r\n"), ASCII},
		{"one UTF-8 char", []byte("あ"), UTF8},
		{"UTF-8 cut", []byte("あ")[:2], UTF8},
		{"one SJIS char", []byte{0x82, 0xA0}, ShiftJIS},
		{"SJIS lead only", []byte{'a', 0x82}, ShiftJIS},
		{"BOM only", []byte{0xEF, 0xBB, 0xBF}, UTF8},
		{"UTF-16LE BOM only", []byte{0xFF, 0xFE}, UTF16LE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sniff(tt.in); got != tt.want {
				t.Errorf("Sniff(% x) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSniffBinary(t *testing.T) {
	tests := map[string][]byte{
		"NUL in ASCII":     []byte("hello\x00world"),
		"PNG":              []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
		"many controls":    bytes.Repeat([]byte("ab\x01\x02\x03"), 20),
		"invalid bytes":    {0xFF, 0xFF, 0xFE, 0x80, 0x80, 0x80},
		"UTF-16 no BOM":    encode(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "hello"),
		"UTF-32LE":         {0xFF, 0xFE, 0, 0, 'a', 0, 0, 0},
		"UTF-16 lone surr": {0xFF, 0xFE, 0x00, 0xDC, 'a', 0},
		"ELF":              []byte("\x7fELF\x02\x01\x01\x00\x00\x00"),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Sniff(in); got != "" {
				t.Errorf("Sniff = %q, want not text", got)
			}
		})
	}
}

func TestDecoderUnknownCharsetFails(t *testing.T) {
	if _, err := io.ReadAll(Decoder("KOI8-R", strings.NewReader("x"))); err != ErrNotText {
		t.Errorf("err = %v, want ErrNotText", err)
	}
	if _, err := io.ReadAll(Decoder("", strings.NewReader("x"))); err != ErrNotText {
		t.Errorf("err = %v, want ErrNotText", err)
	}
}

func TestDecoderInvalidBecomesReplacement(t *testing.T) {
	got := decodeAll(t, ShiftJIS, []byte{'a', 0x82, 0xA0, 0xFF, 'b'})
	if got != "aあ\uFFFDb" {
		t.Errorf("got %q", got)
	}
	got = decodeAll(t, UTF8, []byte("\xEF\xBB\xBFa\xC3b"))
	if got != "a\uFFFDb" {
		t.Errorf("got %q", got)
	}
}

func TestHTMLCharset(t *testing.T) {
	tests := []struct {
		name, in string
		want     Charset
	}{
		{"meta charset", `<html><head><meta charset="Shift_JIS"><title>x</title>`, ShiftJIS},
		{"meta charset unquoted x-sjis", `<meta charset=x-sjis>`, ShiftJIS},
		{"windows-31j", `<meta charset="Windows-31J">`, ShiftJIS},
		{"http-equiv", `<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=EUC-JP">`, EUCJP},
		{"http-equiv iso-2022-jp", `<meta http-equiv="content-type" content="text/html;charset=iso-2022-jp">`, ISO2022JP},
		{"utf-8", `<meta charset="utf-8">`, UTF8},
		{"utf-16 label means utf-8", `<meta charset="utf-16">`, UTF8},
		{"after comment", `<!-- 長いコメント --><meta charset="euc-jp">`, EUCJP},
		{"none", `<html><body>hello</body></html>`, ""},
		{"after body ignored", `<body><meta charset="euc-jp">`, ""},
		{"unsupported", `<meta charset="koi8-r">`, ""},
		{"BOM wins", "\xEF\xBB\xBF<meta charset=\"shift_jis\">", UTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HTMLCharset([]byte(tt.in)); got != tt.want {
				t.Errorf("HTMLCharset = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSniffHTML(t *testing.T) {
	sjisPage := encode(t, japanese.ShiftJIS, `<meta charset="shift_jis"><p>`+greeting)
	tests := []struct {
		name string
		in   []byte
		want Charset
	}{
		{"declared and true", sjisPage, ShiftJIS},
		{"declared Shift_JIS but UTF-8", []byte(`<meta charset="shift_jis"><p>` + greeting), UTF8},
		{"declared EUC-JP, 7-bit so far", []byte(`<meta charset="euc-jp"><p>hello`), EUCJP},
		{"undeclared Shift_JIS", encode(t, japanese.ShiftJIS, `<p>`+greeting), ShiftJIS},
		{"undeclared 7-bit", []byte(`<p>hello`), ASCII},
		{"binary", []byte("<p>\x00\x01\x02\x03"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SniffHTML(tt.in); got != tt.want {
				t.Errorf("SniffHTML = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzSniff(f *testing.F) {
	for _, s := range []string{"", greeting, greetingISO2022JP, "a,b\r\n1,2\r\n", "\xFF\xFEa\x00"} {
		f.Add([]byte(s))
	}
	f.Add(encode(f, japanese.ShiftJIS, greeting))
	f.Add(encode(f, japanese.EUCJP, greeting))
	f.Fuzz(func(t *testing.T, in []byte) {
		cs := Sniff(in)
		if cs == "" {
			return
		}
		// Whatever Sniff accepts decodes to valid UTF-8 of bounded size.
		out, err := io.ReadAll(io.LimitReader(Decoder(cs, bytes.NewReader(in)), int64(4*len(in)+16)))
		if err != nil {
			t.Fatalf("Decoder(%s): %v", cs, err)
		}
		if !utf8.Valid(out) {
			t.Fatalf("Decoder(%s) output not UTF-8: %q", cs, out)
		}
		if len(out) > 3*len(in)+3 {
			t.Fatalf("output %d bytes from %d", len(out), len(in))
		}
	})
}
