package charset

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
)

// Windows1252 is Western European text (ISO-8859-1 as senders use it:
// the WHATWG Encoding Standard reads both labels as windows-1252).
const Windows1252 Charset = "windows-1252"

// SniffLatin is Sniff for text that carries no trustworthy charset label
// and may be Western European too: a mail header field in raw 8-bit, a
// body part whose label is missing or wrong. When 8-bit text is neither
// UTF-8 nor in a byte order mark's encoding, its Windows-1252 reading is
// scored against the Shift_JIS and EUC-JP readings of the same bytes and
// wins only with a higher score, so that Japanese text stays Japanese.
//
// The Windows-1252 reading fails on bytes that it leaves undefined (0x81,
// 0x8D, 0x8F, 0x90, 0x9D) and on runs of more than two 8-bit bytes, which
// Western words hardly have ("ção" has two) and Japanese has in every
// word of kana or kanji. A letter next to an ASCII letter scores 4 (an
// accented letter inside a word), any other letter 1; a symbol or
// punctuation mark scores 1 between blanks, digits or punctuation and
// -2 inside a word.
func SniffLatin(sample []byte) Charset {
	cs := Sniff(sample)
	switch {
	case cs == ShiftJIS, cs == EUCJP:
	case cs != "", hasBOM(sample), binaryControls(sample, false):
		return cs
	}
	lat, ok := latinScore(sample)
	if !ok || lat <= 0 {
		return cs
	}
	if cs != "" {
		enc := japanese.ShiftJIS
		if cs == EUCJP {
			enc = japanese.EUCJP
		}
		if jp, _ := decodeScore(enc, sample); jp >= lat {
			return cs
		}
	}
	return Windows1252
}

func hasBOM(b []byte) bool {
	return bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}) || bytes.HasPrefix(b, []byte{0xFF, 0xFE}) || bytes.HasPrefix(b, []byte{0xFE, 0xFF})
}

// latinScore scores the Windows-1252 reading of b (see SniffLatin).
func latinScore(b []byte) (int, bool) {
	score, run := 0, 0
	for i, c := range b {
		if c < utf8.RuneSelf {
			run = 0
			continue
		}
		if run++; run > 2 {
			return 0, false
		}
		r := charmap.Windows1252.DecodeByte(c)
		if r >= 0x80 && r < 0xA0 || r == utf8.RuneError {
			return 0, false
		}
		inWord := i > 0 && asciiLetter(b[i-1]) || i+1 < len(b) && asciiLetter(b[i+1])
		switch {
		case unicode.IsLetter(r) && inWord:
			score += 4
		case unicode.IsLetter(r):
			score++
		case inWord:
			score -= 2
		default:
			score++
		}
	}
	return score, true
}

func asciiLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
