package charset

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
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
// Between Shift_JIS and EUC-JP, prefer (a charset the text's context
// names, such as the message's label) wins unless the other reading
// scores more than a quarter higher; with no preference Shift_JIS wins a
// tie, as in Sniff. whole says that sample
// is the whole text (a header field), so that a character cut off at its
// end rules a reading out instead of being taken for the sample's end.
//
// The Windows-1252 reading fails on bytes that it leaves undefined (0x81,
// 0x8D, 0x8F, 0x90, 0x9D) and on runs of more than two 8-bit bytes, which
// Western words hardly have ("ção" has two) and Japanese has in every
// word of kana or kanji. A letter between two ASCII letters scores 6 (an
// accented letter inside a word), next to one 4, any other letter 1; a
// symbol or punctuation mark scores 1 away from letters and -2 next to
// one.
//
// Divergence: a short run of EUC-JP kanji whose bytes read as Shift_JIS
// half-width katakana (確認 as ｳﾎﾇｧ) scores the same both ways and is read
// as prefer, or as Shift_JIS; the bytes alone cannot tell them apart.
func SniffLatin(sample []byte, whole bool, prefer Charset) Charset {
	cs := Sniff(sample)
	if whole && cs == UTF8 && !hasBOM(sample) && !utf8.Valid(sample) && !mostlyUTF8(sample) {
		cs = "" // not a UTF-8 character cut off by the sample's end
	}
	switch {
	case cs == ShiftJIS, cs == EUCJP:
	case cs != "", hasBOM(sample), binaryControls(sample, false):
		return cs
	}
	score := func(enc encoding.Encoding) (int, bool) {
		s, ok := decodeScore(enc, sample)
		return s, ok && (!whole || decodesWhole(enc, sample))
	}
	sj, sjOK := score(japanese.ShiftJIS)
	eu, euOK := score(japanese.EUCJP)
	best, bestScore := Charset(""), 0
	switch {
	case sjOK && euOK && prefer == EUCJP && sj <= eu+abs(eu)/4,
		sjOK && euOK && prefer != EUCJP && eu > sj && (prefer != ShiftJIS || eu > sj+abs(sj)/4),
		euOK && !sjOK:
		best, bestScore = EUCJP, eu
	case sjOK:
		best, bestScore = ShiftJIS, sj
	}
	if lat, ok := latinScore(sample); ok && lat > 0 && (best == "" || lat > bestScore) {
		return Windows1252
	}
	return best
}

// decodesWhole reports whether sample decodes in enc to its last byte
// without a replacement character.
func decodesWhole(enc encoding.Encoding, sample []byte) bool {
	out, err := enc.NewDecoder().Bytes(sample)
	return err == nil && !bytes.ContainsRune(out, utf8.RuneError)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
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
		before, after := i > 0 && asciiLetter(b[i-1]), i+1 < len(b) && asciiLetter(b[i+1])
		switch {
		case unicode.IsLetter(r) && before && after:
			score += 6
		case unicode.IsLetter(r) && (before || after):
			score += 4
		case unicode.IsLetter(r):
			score++
		case before || after:
			score -= 2
		default:
			score++
		}
	}
	return score, true
}

func asciiLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
