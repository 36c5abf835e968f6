package mail

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mugai-project/mugai/sanitizer/charset"
)

// textFindings collects what decoding a header noticed, and the charset
// of its raw 8-bit text.
type textFindings struct {
	raw8bit     bool // 8-bit or raw ISO-2022-JP bytes outside encoded words
	badCharset  bool // an encoded word's charset is unknown
	controls    bool // CR, LF or other controls removed after decoding
	joinedWords bool // adjacent encoded words joined across a split character
	// rawCharset is what the raw 8-bit text of the whole header block
	// reads as (rawHeaderCharset); "" to judge each value alone.
	rawCharset charset.Charset
}

// rawHeaderCharset is the charset of the raw 8-bit text of h's fields,
// judged for all of them at once: a mailer writes its whole header in one
// charset, mostly the one it labels its body with, and a longer sample
// decides where one field alone cannot (a name of two kanji in EUC-JP
// reads as well as Shift_JIS half-width katakana; the Subject beside it
// does not). A Japanese charset label on the top-level Content-Type
// decides a tie between Shift_JIS and EUC-JP.
func rawHeaderCharset(h header) charset.Charset {
	var all []byte
	for _, fl := range h {
		if bytes.ContainsFunc(fl.Value, func(r rune) bool { return r >= utf8.RuneSelf || r == 0x1b }) {
			all = append(append(all, fl.Value...), '\n')
		}
	}
	if len(all) == 0 {
		return ""
	}
	var label charset.Charset
	if _, params, err := mime.ParseMediaType(h.get("Content-Type")); err == nil {
		label = japaneseLabel(params["charset"])
	}
	return sniffCharset(all, true, label)
}

// rawToUTF8 turns a raw header value into UTF-8. RFC 5322 headers are
// US-ASCII (RFC 6532 allows UTF-8, which is read first); QUIRK: Japanese
// senders put raw ISO-2022-JP, Shift_JIS or EUC-JP bytes there, and
// Western ones Latin-1: the header's charset (f.rawCharset) is used when
// the value reads cleanly in it, else the value's own is sniffed by the
// scoring bodies get (sniffCharset).
func rawToUTF8(b []byte, f *textFindings) string {
	ascii := true
	for _, c := range b {
		if c >= 0x80 || c == 0x1b {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	f.raw8bit = true
	if utf8.Valid(b) && bytes.IndexByte(b, 0x1b) < 0 {
		return string(b)
	}
	if readsIn(f.rawCharset, b) {
		s, _ := decodeClean(f.rawCharset, b)
		return s
	}
	if sc := sniffCharset(b, true, ""); sc != "" {
		s, _ := decodeClean(sc, b)
		return s
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// readsIn reports whether the raw text b can be in cs: ISO-2022-JP is
// 7-bit and the others are not (7-bit escapes read "cleanly" as
// Shift_JIS, as text with control characters in it), and b decodes
// without a replacement.
func readsIn(cs charset.Charset, b []byte) bool {
	if cs == "" || (cs == charset.ISO2022JP) == bytes.ContainsFunc(b, func(r rune) bool { return r >= utf8.RuneSelf }) {
		return false
	}
	_, ok := decodeClean(cs, b)
	return ok
}

// decodeClean decodes b from cs to valid UTF-8 and reports whether it
// did so without replacing anything.
func decodeClean(cs charset.Charset, b []byte) (string, bool) {
	out, _ := io.ReadAll(charset.Decoder(cs, bytes.NewReader(b)))
	return strings.ToValidUTF8(string(out), "\uFFFD"), utf8.Valid(out) && !bytes.ContainsRune(out, utf8.RuneError)
}

// segment is a run of literal text or of joined encoded words.
type segment struct {
	text    string // literal
	charset string // encoded word charset, lower case; "" for literal
	data    []byte // decoded octets of the encoded words
}

// decodeWords decodes RFC 2047 encoded words in s (already UTF-8).
// Whitespace between two encoded words is dropped (RFC 2047 §6.2).
// QUIRK: adjacent words of one charset are joined before charset
// decoding, because senders split a multi-byte character across two
// words (and ISO-2022-JP escape state across many). QUIRK: words inside
// quoted strings or glued to text are decoded too, and broken base64
// padding is forgiven.
func decodeWords(s string, f *textFindings) string {
	var segs []segment
	lastWord := -1 // index in segs of the last encoded word
	for len(s) > 0 {
		i := strings.Index(s, "=?")
		if i < 0 {
			segs = append(segs, segment{text: s})
			break
		}
		cs, data, n, ok := parseWord(s[i:])
		if !ok && n < 0 {
			segs = append(segs, segment{text: s})
			break
		}
		if !ok {
			segs = append(segs, segment{text: s[:i+2]})
			s = s[i+2:]
			continue
		}
		lit := s[:i]
		if lastWord >= 0 && lastWord == len(segs)-1 && strings.TrimLeft(lit, " \t\r\n") == "" {
			lit = "" // whitespace between words
		}
		if lit != "" {
			segs = append(segs, segment{text: lit})
		}
		if lastWord >= 0 && lastWord == len(segs)-1 && segs[lastWord].charset == cs {
			segs[lastWord].data = append(segs[lastWord].data, data...)
			f.joinedWords = true
		} else {
			segs = append(segs, segment{charset: cs, data: data})
			lastWord = len(segs) - 1
		}
		s = s[i+n:]
	}
	var b strings.Builder
	for _, sg := range segs {
		if sg.charset == "" {
			b.WriteString(sg.text)
			continue
		}
		if !charsetKnown(sg.charset) {
			f.badCharset = true
		}
		out, _ := decodeBytes(sg.charset, sg.data)
		b.WriteString(out)
	}
	return b.String()
}

// parseWord parses one "=?charset?enc?text?=" at the start of s and
// returns the charset (lower case, RFC 2231 language removed), the
// decoded octets and the length consumed.
//
// Every search is bounded or final, so that a header full of "=?" stays
// linear: the charset is looked for in 64 bytes, and when no "?=" is left
// anywhere, errNoEnd tells the caller to stop looking.
func parseWord(s string) (string, []byte, int, bool) {
	rest := s[2:]
	q1 := strings.IndexByte(rest[:min(len(rest), 65)], '?')
	if q1 <= 0 || len(rest) < q1+3 || rest[q1+2] != '?' {
		return "", nil, 0, false
	}
	cs := strings.ToLower(rest[:q1])
	if strings.ContainsAny(cs, " \t\r\n\"") {
		return "", nil, 0, false
	}
	if i := strings.IndexByte(cs, '*'); i >= 0 {
		cs = cs[:i]
	}
	enc := rest[q1+1]
	text := rest[q1+3:]
	end := strings.Index(text, "?=")
	if end < 0 {
		return "", nil, -1, false // no word can end anywhere after this
	}
	text = text[:end]
	n := 2 + q1 + 3 + end + 2
	switch enc {
	case 'B', 'b':
		return cs, decodeB(text), n, true
	case 'Q', 'q':
		return cs, decodeQ(text), n, true
	}
	return "", nil, 0, false
}

// decodeB decodes base64 leniently: whitespace ignored, padding optional,
// decoding stops at the first invalid character.
func decodeB(s string) []byte {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	if i := strings.IndexByte(s, '='); i >= 0 {
		s = s[:i]
	}
	out, err := base64.RawStdEncoding.DecodeString(s)
	if err == nil {
		return out
	}
	// Keep the longest valid prefix.
	for n := len(s) / 4 * 4; n > 0; n -= 4 {
		if out, err := base64.RawStdEncoding.DecodeString(s[:n]); err == nil {
			return out
		}
	}
	return nil
}

// decodeQ decodes the "Q" encoding (RFC 2047 §4.2); invalid escapes are
// kept literally.
func decodeQ(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// cleanText removes what must never reach a header or a file name:
// CR and LF (header injection once decoded), other C0 and C1 controls,
// DEL, bidi overrides and isolates, and U+FFFE/U+FFFF. Runs of blanks
// that replaced line breaks collapse to one space.
func cleanText(s string, f *textFindings) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r == '\r' || r == '\n' || r == '\t' || r == '\v' || r == '\f':
			if r != '\t' {
				f.controls = true
			}
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r == 0xfffe, r == 0xffff,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			f.controls = true
			continue
		case r == utf8.RuneError:
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
		space = r == ' '
	}
	out := strings.TrimFunc(b.String(), unicode.IsSpace)
	if scriptRe.MatchString(out) {
		// No reader should ever take a header or name for markup.
		out = scriptRe.ReplaceAllString(out, "＜$1")
	}
	return out
}

// decodeHeaderText decodes a raw unstructured header value to clean UTF-8.
func decodeHeaderText(raw []byte, f *textFindings) string {
	return cleanText(decodeWords(rawToUTF8(raw, f), f), f)
}

// isASCIIPrintable reports whether s is printable US-ASCII.
func isASCIIPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// asciiOnly replaces bytes outside printable US-ASCII with '?', and a
// TAB (left by unfolding, RFC 5322 §2.2.3) with a space.
func asciiOnly(b []byte) string {
	out := bytes.Map(func(r rune) rune {
		if r == '\t' {
			return ' '
		}
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, b)
	return string(out)
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
