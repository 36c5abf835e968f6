package charset

import (
	"testing"

	"golang.org/x/text/encoding/japanese"
)

func TestSniffLatin(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want Charset
	}{
		{"Portuguese", []byte("Forma\xe7\xe3o de equipe"), Windows1252},
		{"Portuguese name", []byte("Jo\xe3o Gon\xe7alves"), Windows1252},
		{"German", []byte("M\xfcller Stra\xdfe"), Windows1252},
		{"French, accent at the end", []byte("Caf\xe9"), Windows1252},
		{"Windows-1252 dash and quotes", []byte("\x93Relat\xf3rio\x94 \x96 2026"), Windows1252},
		{"UTF-8 stays UTF-8", []byte("Formação"), UTF8},
		{"ASCII", []byte("Meeting"), ASCII},
		{"Shift_JIS kanji", encode(t, japanese.ShiftJIS, "見積書の件"), ShiftJIS},
		{"Shift_JIS kana and ASCII", encode(t, japanese.ShiftJIS, "Re: ご確認 ABC"), ShiftJIS},
		{"Shift_JIS half-width katakana", encode(t, japanese.ShiftJIS, "ｱﾝｹｰﾄ"), ShiftJIS},
		{"Shift_JIS kanji next to ASCII", encode(t, japanese.ShiftJIS, "Windows版"), ShiftJIS},
		{"EUC-JP", encode(t, japanese.EUCJP, "山田 太郎（総務課）"), EUCJP},
		{"EUC-JP hiragana and kanji", encode(t, japanese.EUCJP, "ご確認のほど"), EUCJP},
		{"binary", []byte("Forma\xe7\xe3o\x00"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SniffLatin(tt.in, true, ""); got != tt.want {
				t.Errorf("SniffLatin(% x) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSniffLatinWhole(t *testing.T) {
	// "見積書" in EUC-JP ends in a byte that Shift_JIS takes for the lead
	// of a cut character: a sample may end so, a whole header value not.
	b := encode(t, japanese.EUCJP, "見積書")
	if got := SniffLatin(b, true, ""); got != EUCJP {
		t.Errorf("whole: %q, want EUC-JP", got)
	}
	if got := decodeAll(t, SniffLatin(b, true, ""), b); got != "見積書" {
		t.Errorf("decoded %q", got)
	}
}

func TestDecoderWindows1252(t *testing.T) {
	for _, cs := range []Charset{Windows1252, "ISO-8859-1"} {
		if got := decodeAll(t, cs, []byte("\x93Forma\xe7\xe3o\x94 \x80 5")); got != "“Formação” € 5" {
			t.Errorf("%s: %q", cs, got)
		}
	}
}

func TestSniffLatinPrefer(t *testing.T) {
	// Two EUC-JP kanji read as well as four Shift_JIS half-width
	// katakana: what the context names decides the tie, and only a tie.
	b := encode(t, japanese.EUCJP, "確認")
	if got := SniffLatin(b, true, ""); got != ShiftJIS {
		t.Errorf("no preference: %q, want Shift_JIS", got)
	}
	if got := SniffLatin(b, true, EUCJP); got != EUCJP {
		t.Errorf("EUC-JP preferred: %q", got)
	}
	if got := SniffLatin(encode(t, japanese.EUCJP, "ご確認のほど"), true, ShiftJIS); got != EUCJP {
		t.Errorf("a clear EUC-JP text under a Shift_JIS preference: %q", got)
	}
}
