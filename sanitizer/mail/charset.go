package mail

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	gmcharset "github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// japaneseCharsets are the labels Japanese mail uses that go-message's
// charset package does not map (cp932 and friends) or maps to a narrower
// table. japanese.ShiftJIS in x/text is Windows-31J (CP932), which is what
// senders labelled Shift_JIS actually use (NEC and IBM extensions, ①, ㈱).
var japaneseCharsets = map[string]encoding.Encoding{
	"shift_jis": japanese.ShiftJIS, "shift-jis": japanese.ShiftJIS, "sjis": japanese.ShiftJIS,
	"x-sjis": japanese.ShiftJIS, "cp932": japanese.ShiftJIS, "ms932": japanese.ShiftJIS,
	"windows-31j": japanese.ShiftJIS, "csshiftjis": japanese.ShiftJIS, "cswindows31j": japanese.ShiftJIS,
	"ms_kanji": japanese.ShiftJIS, "x-ms-cp932": japanese.ShiftJIS, "ibm-943": japanese.ShiftJIS,
	"iso-2022-jp": japanese.ISO2022JP, "csiso2022jp": japanese.ISO2022JP, "iso-2022-jp-1": japanese.ISO2022JP,
	"iso-2022-jp-2": japanese.ISO2022JP, "iso-2022-jp-3": japanese.ISO2022JP, "iso-2022-jp-ms": japanese.ISO2022JP,
	"x-windows-iso2022jp": japanese.ISO2022JP, "cp50220": japanese.ISO2022JP, "cp50221": japanese.ISO2022JP,
	"euc-jp": japanese.EUCJP, "eucjp": japanese.EUCJP, "x-euc-jp": japanese.EUCJP,
	"cseucpkdfmtjapanese": japanese.EUCJP, "x-eucjp": japanese.EUCJP, "cp51932": japanese.EUCJP,
}

// isUTF8Label reports labels that need no conversion (ASCII is a subset).
func isUTF8Label(cs string) bool {
	switch cs {
	case "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "x-utf_8j", "unicode-1-1-utf-8", "cp65001":
		return true
	}
	return false
}

// charsetKnown reports whether label names a charset we can decode.
func charsetKnown(label string) bool {
	cs := strings.ToLower(strings.TrimSpace(label))
	if cs == "" || isUTF8Label(cs) {
		return true
	}
	if _, ok := japaneseCharsets[cs]; ok {
		return true
	}
	_, err := gmcharset.Reader(cs, bytes.NewReader(nil))
	return err == nil
}

// decodeReader returns r converted from charset label to UTF-8 (for a
// UTF-8 label, r itself: the caller replaces invalid sequences). A
// missing, ASCII/UTF-8 or unknown label whose content is not valid UTF-8
// is sniffed from head (QUIRK: Japanese mail declares us-ascii, or
// nothing, over ISO-2022-JP and Shift_JIS text). It reports what it did
// as a finding code ("" when the label was simply obeyed).
func decodeReader(label string, head []byte, r io.Reader) (io.Reader, string) {
	cs := strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	if i := strings.IndexByte(cs, '*'); i >= 0 { // RFC 2231 §5 language suffix
		cs = cs[:i]
	}
	if enc, ok := japaneseCharsets[cs]; ok {
		return enc.NewDecoder().Reader(r), ""
	}
	switch {
	case cs == "" || isUTF8Label(cs):
		// QUIRK: a UTF-8 label over Japanese legacy bytes is believed
		// only when those bytes are not a clean Shift_JIS or EUC-JP text.
		if enc := sniffCharset(head); enc != nil && (!strings.HasPrefix(cs, "utf") || decodeErrors(enc, head) == 0) {
			return enc.NewDecoder().Reader(r), "charset-mismatch"
		}
		// Invalid sequences are replaced where the text is cleaned.
		return r, ""
	}
	if dr, err := gmcharset.Reader(cs, r); err == nil {
		return dr, ""
	}
	if enc := sniffCharset(head); enc != nil {
		return enc.NewDecoder().Reader(r), "unknown-charset"
	}
	return validUTF8Reader(r), "unknown-charset"
}

// decodeBytes converts b from label to valid UTF-8.
func decodeBytes(label string, b []byte) (string, string) {
	r, finding := decodeReader(label, b, bytes.NewReader(b))
	out, _ := io.ReadAll(r)
	return strings.ToValidUTF8(string(out), "\uFFFD"), finding
}

// sniffCharset guesses the charset of Japanese text that is not valid
// UTF-8: ISO-2022-JP by its escape sequences (RFC 1468), else Shift_JIS
// or EUC-JP by which decodes with fewer errors. nil means UTF-8.
func sniffCharset(b []byte) encoding.Encoding {
	if bytes.Contains(b, []byte("\x1b$B")) || bytes.Contains(b, []byte("\x1b$@")) || bytes.Contains(b, []byte("\x1b(I")) || bytes.Contains(b, []byte("\x1b(J")) {
		return japanese.ISO2022JP
	}
	if validUTF8Prefix(b) {
		return nil
	}
	sj := decodeErrors(japanese.ShiftJIS, b)
	eu := decodeErrors(japanese.EUCJP, b)
	if eu < sj {
		return japanese.EUCJP
	}
	return japanese.ShiftJIS
}

// validUTF8Prefix is utf8.Valid that forgives a rune cut at the end of b.
func validUTF8Prefix(b []byte) bool {
	for i := 1; i <= utf8.UTFMax && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if !utf8.FullRune(b[len(b)-i:]) {
				b = b[:len(b)-i]
			}
			break
		}
	}
	return utf8.Valid(b)
}

// decodeErrors counts replacement characters and half-width katakana
// (rare in real text, frequent when EUC-JP is read as Shift_JIS).
func decodeErrors(enc encoding.Encoding, b []byte) int {
	s, _, _ := transform.String(enc.NewDecoder(), string(b))
	n := 0
	for _, r := range s {
		if r == utf8.RuneError || (r >= 0xFF61 && r <= 0xFF9F) || (r >= 0x80 && r < 0xA0) {
			n++
		}
	}
	return n
}

// validUTF8Reader replaces invalid UTF-8 sequences with U+FFFD.
func validUTF8Reader(r io.Reader) io.Reader {
	return unicode.UTF8.NewDecoder().Reader(r)
}
