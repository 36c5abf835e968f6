package mail

import (
	"bytes"
	"io"
	"strings"

	gmcharset "github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"

	"github.com/mugai-project/mugai/sanitizer/charset"
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

// japaneseLabel returns the Japanese legacy charset a label names, or "".
func japaneseLabel(label string) charset.Charset {
	switch japaneseCharsets[strings.ToLower(strings.TrimSpace(label))] {
	case japanese.ShiftJIS:
		return charset.ShiftJIS
	case japanese.EUCJP:
		return charset.EUCJP
	case japanese.ISO2022JP:
		return charset.ISO2022JP
	}
	return ""
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
		// charset.Sniff names Shift_JIS or EUC-JP only for a sample that
		// decodes cleanly and is not mostly UTF-8.
		if sc := sniffCharset(head, false, ""); sc != "" {
			return charset.Decoder(sc, r), "charset-mismatch"
		}
		// Invalid sequences are replaced where the text is cleaned.
		return r, ""
	}
	if dr, err := gmcharset.Reader(cs, r); err == nil {
		return dr, ""
	}
	if sc := sniffCharset(head, false, ""); sc != "" {
		return charset.Decoder(sc, r), "unknown-charset"
	}
	return validUTF8Reader(r), "unknown-charset"
}

// decodeBytes converts b from label to valid UTF-8.
func decodeBytes(label string, b []byte) (string, string) {
	r, finding := decodeReader(label, b, bytes.NewReader(b))
	out, _ := io.ReadAll(r)
	return strings.ToValidUTF8(string(out), "\uFFFD"), finding
}

// sniffCharset returns the legacy charset charset.SniffLatin finds in b
// (ISO-2022-JP, Shift_JIS, EUC-JP or Windows-1252), or "" for anything
// else: UTF-8, ASCII, or not text, which the caller keeps as UTF-8 with
// invalid sequences replaced. whole says b is a whole value (a header
// field), not the first bytes of a body; prefer breaks a tie between
// Shift_JIS and EUC-JP (charset.SniffLatin). NUL bytes, which the text of
// a message loses anyway, do not make it binary.
func sniffCharset(b []byte, whole bool, prefer charset.Charset) charset.Charset {
	if bytes.IndexByte(b, 0) >= 0 {
		b = bytes.ReplaceAll(b, []byte{0}, nil)
	}
	switch cs := charset.SniffLatin(b, whole, prefer); cs {
	case charset.ISO2022JP, charset.ShiftJIS, charset.EUCJP, charset.Windows1252:
		return cs
	}
	return ""
}

// validUTF8Reader replaces invalid UTF-8 sequences with U+FFFD.
func validUTF8Reader(r io.Reader) io.Reader {
	return unicode.UTF8.NewDecoder().Reader(r)
}
