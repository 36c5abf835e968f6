package zipsafe

import (
	"hash/crc32"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

// DecodeName turns a stored zip name into UTF-8. The order follows
// APPNOTE.TXT: the language encoding flag (general purpose bit 11,
// Appendix D.2) says UTF-8; else an Info-ZIP Unicode Path Extra Field
// (§4.6.9, 0x7075) whose CRC-32 matches the stored name gives the UTF-8
// name; else the name is CP437 by the letter of the spec.
//
// QUIRK: Japanese Windows (Explorer, Lhaplus, older 7-Zip) writes names in
// CP932 (Shift_JIS) without any mark, and macOS writes UTF-8 without the
// flag. A name that is valid UTF-8 is taken as UTF-8; any other is decoded
// as CP932, the encoding of the senders mugai serves, rather than CP437.
// cp932 reports that this decoding was used.
func DecodeName(raw []byte, flagUTF8 bool, unicodePath []byte, unicodeCRC uint32, hasUnicode bool) (name string, cp932 bool) {
	switch {
	case flagUTF8:
		return strings.ToValidUTF8(string(raw), "\uFFFD"), false
	case hasUnicode && crc32.ChecksumIEEE(raw) == unicodeCRC && utf8.Valid(unicodePath):
		return string(unicodePath), false
	case utf8.Valid(raw):
		return string(raw), false
	}
	return decodeCP932(raw), true
}

// decodeCP932 decodes Shift_JIS with the Windows extensions (CP932);
// bytes that are not CP932 become U+FFFD, which cleaning later removes.
func decodeCP932(raw []byte) string {
	s, err := japanese.ShiftJIS.NewDecoder().Bytes(raw)
	if err != nil {
		return strings.ToValidUTF8(string(raw), "\uFFFD")
	}
	return strings.ToValidUTF8(string(s), "\uFFFD")
}
