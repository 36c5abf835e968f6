// Package charset detects the charset of text and decodes it to UTF-8:
// UTF-8 (RFC 3629, with or without BOM), UTF-16LE/BE with BOM (RFC 2781),
// Shift_JIS read as Windows-31J (CP932), EUC-JP and ISO-2022-JP (RFC 1468),
// and Windows-1252 for unlabelled Western European mail text, following
// the WHATWG Encoding Standard mappings of golang.org/x/text.
// Sniff judges a sample (SniffLatin also weighs Windows-1252), HTMLCharset
// and SniffHTML read an HTML document's own declaration, Decoder turns a
// charset's bytes into UTF-8.
//
// Divergences: UTF-16 without a BOM and CP50221 SO/SI kana shifts are not
// read (fail closed).
//
// It imports nothing of mugai, so that content detection (sanitizer/detect)
// and the text rewriters (sanitizer/text, sanitizer/mail) share it.
package charset

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Charset names a text encoding mugai reads. The names are the IANA
// charset names used in MIME (RFC 2046 §4.1.2). The empty Charset means
// "not text".
type Charset string

const (
	ASCII     Charset = "US-ASCII"
	UTF8      Charset = "UTF-8"
	UTF16LE   Charset = "UTF-16LE"
	UTF16BE   Charset = "UTF-16BE"
	ShiftJIS  Charset = "Shift_JIS" // read as Windows-31J (CP932), see Decoder
	EUCJP     Charset = "EUC-JP"
	ISO2022JP Charset = "ISO-2022-JP"
)

// ErrNotText is returned when input is not text in a supported charset.
var ErrNotText = errors.New("charset: not text in a supported charset")

// Sniff returns the charset of sample, the first bytes of a file (for
// example 64 KiB), or "" when it is not text. The sample may end in the
// middle of a character.
//
// Order of evidence: a byte order mark (UTF-8, UTF-16LE/BE); NUL bytes or
// many C0 controls mean binary; ISO-2022-JP escape sequences in 7-bit data;
// pure 7-bit is US-ASCII; valid UTF-8; otherwise the sample is decoded as
// Shift_JIS (CP932) and as EUC-JP and the one under which it is valid wins.
// When both are valid, each is scored by the kind of characters it yields
// (kana and kanji score, half-width katakana less, unmapped and private-use
// code points are penalized) and the higher score wins, Shift_JIS on a tie.
//
// UTF-16 without a BOM is not recognized (its NUL bytes make it binary):
// mugai fails closed on it.
func Sniff(sample []byte) Charset {
	switch {
	case bytes.HasPrefix(sample, []byte{0xEF, 0xBB, 0xBF}):
		if validUTF8Prefix(sample[3:]) && !binaryControls(sample[3:], false) {
			return UTF8
		}
		return ""
	case bytes.HasPrefix(sample, []byte{0xFF, 0xFE}):
		if bytes.HasPrefix(sample, []byte{0xFF, 0xFE, 0, 0}) { // UTF-32LE
			return ""
		}
		if validUTF16(sample[2:], false) {
			return UTF16LE
		}
		return ""
	case bytes.HasPrefix(sample, []byte{0xFE, 0xFF}):
		if validUTF16(sample[2:], true) {
			return UTF16BE
		}
		return ""
	}
	ascii := true
	for _, c := range sample {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii && hasISO2022JPEscape(sample) {
		if binaryControls(sample, true) {
			return ""
		}
		if s, ok := decodeScore(japanese.ISO2022JP, sample); ok && s >= 0 {
			return ISO2022JP
		}
		return ""
	}
	if binaryControls(sample, false) {
		return ""
	}
	if ascii {
		return ASCII
	}
	if validUTF8Prefix(sample) {
		return UTF8
	}
	if mostlyUTF8(sample) {
		// QUIRK: a UTF-8 file with a few stray bytes (a Latin-1 byte
		// pasted in, a file cut and joined) is still UTF-8; read as
		// Shift_JIS it would be entirely 文字化け. The stray bytes become
		// U+FFFD.
		return UTF8
	}
	sj, sjOK := decodeScore(japanese.ShiftJIS, sample)
	eu, euOK := decodeScore(japanese.EUCJP, sample)
	switch {
	case sjOK && euOK:
		if eu > sj {
			return EUCJP
		}
		return ShiftJIS
	case sjOK:
		return ShiftJIS
	case euOK:
		return EUCJP
	}
	return ""
}

// validUTF8Prefix reports whether b is valid UTF-8, allowing the last
// character to be cut off.
func validUTF8Prefix(b []byte) bool {
	for i := 1; i <= utf8.UTFMax-1 && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if !utf8.FullRune(b[len(b)-i:]) {
				b = b[:len(b)-i]
			}
			break
		}
	}
	return utf8.Valid(b)
}

// mostlyUTF8 reports at least 8 valid multi-byte UTF-8 characters and
// fewer than one invalid byte for every 20 of them.
func mostlyUTF8(b []byte) bool {
	valid, invalid := 0, 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			if !utf8.FullRune(b[i:]) && len(b)-i < utf8.UTFMax {
				break // cut at the end of the sample
			}
			invalid++
			i++
			continue
		}
		valid++
		i += size
	}
	return valid >= 8 && invalid*20 < valid
}

// binaryControls reports NUL bytes, or C0 controls other than TAB, LF, VT,
// FF, CR, SUB (a DOS end of file) and, in ISO-2022-JP, ESC, making up more
// than 1 in 100 bytes (and more than 2 in all): such data is not text.
func binaryControls(b []byte, escOK bool) bool {
	bad := 0
	for _, c := range b {
		switch {
		case c == 0:
			return true
		case c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == 0x1A:
		case c == 0x1B && escOK:
		case c < 0x20 || c == 0x7F:
			bad++
		}
	}
	return bad > 2 && bad*100 > len(b)
}

func validUTF16(b []byte, bigEndian bool) bool {
	if len(b)%2 == 1 { // cut mid-unit
		b = b[:len(b)-1]
	}
	bad := 0
	n := len(b) / 2
	for i := 0; i < n; i++ {
		var u uint16
		if bigEndian {
			u = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
		switch {
		case u == 0:
			return false
		case u >= 0xD800 && u < 0xDC00: // high surrogate: a low one must follow
			if i == n-1 {
				return true // cut between the two halves
			}
			var v uint16
			if bigEndian {
				v = uint16(b[2*i+2])<<8 | uint16(b[2*i+3])
			} else {
				v = uint16(b[2*i+3])<<8 | uint16(b[2*i+2])
			}
			if v < 0xDC00 || v > 0xDFFF {
				return false
			}
			i++
		case u >= 0xDC00 && u <= 0xDFFF:
			return false
		case u < 0x20 && u != '\t' && u != '\n' && u != '\r' && u != '\f' && u != '\v':
			bad++
		}
	}
	return !(bad > 2 && bad*100 > n)
}

// hasISO2022JPEscape looks for the designations of RFC 1468 and JIS X 0201
// katakana: ESC $ @, ESC $ B, ESC ( J, ESC ( I.
func hasISO2022JPEscape(b []byte) bool {
	for _, e := range []string{"\x1b$B", "\x1b$@", "\x1b(J", "\x1b(I"} {
		if bytes.Contains(b, []byte(e)) {
			return true
		}
	}
	return false
}

// decodeScore decodes sample with enc, allowing a character cut off at the
// end, and returns a plausibility score for Japanese text and whether the
// whole sample decoded without a replacement character.
func decodeScore(enc encoding.Encoding, sample []byte) (int, bool) {
	dst := make([]byte, 3*len(sample)+16)
	nDst, nSrc, err := enc.NewDecoder().Transform(dst, sample, false)
	if err != nil && !errors.Is(err, transform.ErrShortSrc) {
		return 0, false
	}
	if len(sample)-nSrc > 3 { // more than one cut-off character left over
		return 0, false
	}
	score := 0
	out := dst[:nDst]
	sjis := enc == japanese.ShiftJIS
	src := sample
	prev := rune(0)
	for len(out) > 0 {
		r, size := utf8.DecodeRune(out)
		out = out[size:]
		if r == utf8.RuneError {
			return 0, false
		}
		score += runeScore(r)
		// EUC-JP punctuation and brackets (、。「」（）) lead with 0xA1 and
		// hiragana with 0xA4, which Shift_JIS reads as a half-width full
		// stop and comma: real half-width text hardly runs on after a full
		// stop, and seldom after a comma, without a blank.
		if r >= 0xFF61 && r <= 0xFF9F {
			switch prev {
			case 0xFF61:
				score -= 4
			case 0xFF64:
				score -= 2
			}
		}
		prev = r
		// QUIRK: EUC-JP half-width katakana is 0x8E + 0xA1–0xDF, which is
		// also a valid Shift_JIS kanji (lead byte 0x8E). Such a pair scores
		// nothing under Shift_JIS, so EUC-JP half-width text is not taken
		// for a run of Shift_JIS kanji.
		if sjis && r >= 0x80 {
			if len(src) >= 2 && src[0] == 0x8E && src[1] >= 0xA1 && src[1] <= 0xDF {
				score -= runeScore(r)
			}
		}
		if sjis {
			src = advanceSJIS(src)
		}
	}
	return score, true
}

// advanceSJIS skips one Shift_JIS character.
func advanceSJIS(b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	c := b[0]
	if (c >= 0x81 && c <= 0x9F) || (c >= 0xE0 && c <= 0xFC) {
		if len(b) >= 2 {
			return b[2:]
		}
	}
	return b[1:]
}

// runeScore weighs a character by how typical it is of Japanese text.
func runeScore(r rune) int {
	switch {
	case r < 0x80:
		return 0
	case r >= 0x3041 && r <= 0x309F, r >= 0x30A0 && r <= 0x30FF: // hiragana, katakana
		return 6
	case r >= 0x4E00 && r <= 0x9FFF: // CJK unified ideographs
		return 5
	case r >= 0x3000 && r <= 0x303F: // CJK punctuation
		return 5
	case r >= 0xFF66 && r <= 0xFF9D: // half-width katakana letters
		return 3
	case r >= 0xFF61 && r <= 0xFF65, r >= 0xFF9E && r <= 0xFF9F: // half-width punctuation, sound marks
		return 1
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		return 3
	case r >= 0xE000 && r <= 0xF8FF: // private use (user-defined characters)
		return -10
	}
	return 1
}

// Decoder returns a reader of UTF-8 text decoded from r in charset cs.
// Invalid input becomes U+FFFD; a leading byte order mark is removed.
//
// Shift_JIS is decoded as Windows-31J (CP932), as the WHATWG Encoding
// Standard does (golang.org/x/text/encoding/japanese): NEC special
// characters (①, ㈱), NEC-selected and IBM extensions, and 0x8160 as
// U+FF5E FULLWIDTH TILDE (～), 0x817C as U+FF0D (－), 0x8161 as U+2225 (∥),
// which is what Windows users typed. EUC-JP follows the same mapping
// (eucJP-ms-like) and ISO-2022-JP accepts JIS X 0208-1978 (ESC $ @),
// JIS X 0208-1983 (ESC $ B), JIS X 0201 Roman (ESC ( J) and half-width
// katakana (ESC ( I); SO/SI shifts (CP50221) are not supported.
// Windows-1252 (also named ISO-8859-1) is read as the Encoding Standard
// reads both.
//
// US-ASCII means the sample was 7-bit: the text is passed through until the
// first byte that is not, and the charset is then sniffed from the next
// 64 KiB (a CSV whose first thousand rows are numbers and whose Japanese
// starts later is not turned into U+FFFD). If that part is not text the
// reader fails with ErrNotText.
//
// An unknown or empty charset yields a reader that fails with ErrNotText.
func Decoder(cs Charset, r io.Reader) io.Reader {
	var enc encoding.Encoding
	switch Charset(strings.ToUpper(string(cs))) {
	case "US-ASCII", "ASCII":
		return &lateReader{br: bufio.NewReaderSize(r, lateSniffLen)}
	case "UTF-8":
		enc = unicode.UTF8BOM
	case "UTF-16LE":
		enc = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	case "UTF-16BE":
		enc = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	case "SHIFT_JIS", "WINDOWS-31J", "CP932", "SJIS":
		enc = japanese.ShiftJIS
	case "EUC-JP":
		enc = japanese.EUCJP
	case "ISO-2022-JP":
		enc = japanese.ISO2022JP
	case "WINDOWS-1252", "ISO-8859-1":
		enc = charmap.Windows1252
	default:
		return errReader{ErrNotText}
	}
	return transform.NewReader(r, enc.NewDecoder())
}

const lateSniffLen = 64 << 10

// lateReader reads 7-bit text and decides the charset at the first byte
// that is not ASCII, at an ESC (ISO-2022-JP) or at a NUL (binary).
type lateReader struct {
	br  *bufio.Reader
	dec io.Reader
	cs  Charset
}

func (l *lateReader) Read(p []byte) (int, error) {
	if l.dec != nil {
		return l.dec.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if l.br.Buffered() == 0 {
		if _, err := l.br.Peek(1); err != nil {
			return 0, err
		}
	}
	buf, _ := l.br.Peek(l.br.Buffered())
	n := 0
	for n < len(buf) && n < len(p) && buf[n] < 0x80 && buf[n] != 0x1B && buf[n] != 0 {
		n++
	}
	if n > 0 {
		return l.br.Read(p[:n])
	}
	sample, err := l.br.Peek(lateSniffLen)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return 0, err
	}
	l.cs = Sniff(sample)
	if bytes.HasPrefix(sample, []byte{0xFF, 0xFE}) || bytes.HasPrefix(sample, []byte{0xFE, 0xFF}) {
		l.cs = "" // a UTF-16 BOM in the middle of 7-bit text is binary
	}
	switch l.cs {
	case "":
		l.dec = errReader{ErrNotText}
	case ASCII: // an ESC that does not start ISO-2022-JP: a control, removed later
		l.cs = UTF8
		l.dec = Decoder(UTF8, l.br)
	default:
		l.dec = Decoder(l.cs, l.br)
	}
	return l.dec.Read(p)
}

// Late returns the charset decided after the 7-bit start, or "" if none
// was needed.
func (l *lateReader) Late() Charset { return l.cs }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// HTMLCharset returns the charset an HTML file declares in its first bytes:
// a byte order mark, <meta charset> or <meta http-equiv="Content-Type"
// content="…; charset=…">, as in the HTML prescan (HTML Living Standard
// §13.2.3.2), or "" when none is declared or the label names a charset
// mugai does not read. A declared UTF-16 in an ASCII-compatible file means
// UTF-8, as in the standard. Only the first 4 KiB of sample are prescanned
// (the standard says 1024 bytes; Japanese pages often carry long comments
// before the meta tag).
func HTMLCharset(sample []byte) Charset {
	switch {
	case bytes.HasPrefix(sample, []byte{0xEF, 0xBB, 0xBF}):
		return UTF8
	case bytes.HasPrefix(sample, []byte{0xFF, 0xFE}):
		return UTF16LE
	case bytes.HasPrefix(sample, []byte{0xFE, 0xFF}):
		return UTF16BE
	}
	sample = sample[:min(len(sample), 4096)]
	z := html.NewTokenizer(bytes.NewReader(sample))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "meta" || !hasAttr {
				if string(name) == "body" {
					return ""
				}
				continue
			}
			var charset, httpEquiv, content string
			for {
				k, v, more := z.TagAttr()
				switch strings.ToLower(string(k)) {
				case "charset":
					charset = string(v)
				case "http-equiv":
					httpEquiv = strings.ToLower(string(v))
				case "content":
					content = string(v)
				}
				if !more {
					break
				}
			}
			if charset == "" && httpEquiv == "content-type" {
				charset = charsetFromContentType(content)
			}
			if charset != "" {
				return charsetFromLabel(charset)
			}
		}
	}
}

// SniffHTML returns the charset to read an HTML file with, from its first
// bytes: what the bytes show (BOM, UTF-8, Shift_JIS, ...) wins over what
// the page declares, because a declaration left over from a template is a
// common cause of 文字化け; the declaration (HTMLCharset) decides only
// when the sample is 7-bit. "" means not text.
func SniffHTML(sample []byte) Charset {
	cs := Sniff(sample)
	if cs == ASCII {
		if d := HTMLCharset(sample); d != "" {
			return d
		}
	}
	return cs
}

func charsetFromContentType(ct string) string {
	lower := strings.ToLower(ct)
	i := strings.Index(lower, "charset")
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(lower[i+len("charset"):], " \t")
	if !strings.HasPrefix(rest, "=") {
		return ""
	}
	rest = strings.Trim(strings.TrimLeft(rest[1:], " \t"), `"' `)
	if j := strings.IndexAny(rest, `;"' `); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// charsetFromLabel maps a WHATWG encoding label (e.g. "x-sjis",
// "windows-31j", "csEUCPkdFmtJapanese") to a Charset.
func charsetFromLabel(label string) Charset {
	canon, err := htmlindex.Get(strings.TrimSpace(label))
	if err != nil {
		return ""
	}
	n, err := htmlindex.Name(canon)
	if err != nil {
		return ""
	}
	switch n {
	case "utf-8", "utf-16le", "utf-16be":
		return UTF8 // HTML §13.2.3.2: a UTF-16 label in an ASCII-compatible prescan means UTF-8
	case "shift_jis":
		return ShiftJIS
	case "euc-jp":
		return EUCJP
	case "iso-2022-jp":
		return ISO2022JP
	case "windows-1252":
		// "us-ascii" and "iso-8859-1" are labels of windows-1252; only
		// plain ASCII is read.
		if l := strings.ToLower(strings.TrimSpace(label)); l == "us-ascii" || l == "ascii" {
			return ASCII
		}
	}
	return ""
}
