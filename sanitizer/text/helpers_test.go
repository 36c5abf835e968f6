package text

import (
	"testing"

	"golang.org/x/text/encoding"
)

// greeting has hiragana, kanji, half-width katakana and NEC special
// characters, which every Japanese charset must carry.
const greeting = "お世話になっております。ｶﾀｶﾅ ①㈱～"

func encode(t testing.TB, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encoding %q: %v", s, err)
	}
	return b
}

// greetingISO2022JP is a greeting written by hand: JIS X 0208 after
// ESC $ B, half-width katakana after ESC ( I (JIS X 0201), ASCII after
// ESC ( B.
const greetingISO2022JP = "\x1b$B$*@$OC$K$J$C$F$*$j$^$9!#\x1b(I6@6E\x1b(B \x1b$B-!-j!A\x1b(B"
