package pdf

import (
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Names that must not be spelled anywhere in an output, as a key, a name
// value, or a name token in a string or decoded stream, in any spelling
// (ISO 32000-1 §7.3.5: #xx escapes). They are the names of actions,
// scripts, embedded files and multimedia (§12.6, §7.11, §13) and of
// encryption (§7.6). mugai's output check refuses them too; Disarm keeps
// its output within that rule, removing objects where it can and refusing
// the file where it cannot (a content stream or a text string spelling one).
var dangerNames = set("JavaScript", "JS", "OpenAction", "AA", "Launch", "SubmitForm",
	"ImportData", "GoToR", "GoToE", "GoToDp", "RichMedia", "RichMediaExecute",
	"EmbeddedFile", "EmbeddedFiles", "FileAttachment", "XFA", "URI", "Encrypt",
	"Rendition", "Movie", "Sound")

// shortName: names this short are spelled by chance in binary data (a
// 3-byte name plus a delimiter about once in 2^28 bytes), so they are
// looked for only where the bytes are PDF syntax.
const shortName = 3

func (d *disarmer) dangerName(n string) bool {
	return dangerNames[n] && !(n == "URI" && d.opts.Links == LinksKeep)
}

// nameCategory is the Removed category for a name removed on its own.
func nameCategory(n string) string {
	switch n {
	case "EmbeddedFile", "EmbeddedFiles":
		return "embedded-file"
	case "FileAttachment":
		return "file-attachment"
	case "OpenAction":
		return "openaction"
	case "AA":
		return "additional-actions"
	case "JS":
		return "javascript"
	case "RichMediaExecute":
		return "richmedia"
	case "GoToDp", "Encrypt":
		return "action"
	}
	return strings.ToLower(n)
}

// spelledName returns the first dangerous name token in b, after #xx
// decoding; binary data is searched for the longer names only.
func (d *disarmer) spelledName(b []byte, binary bool) (string, bool) {
	for i := 0; i < len(b); i++ {
		if b[i] != '/' {
			continue
		}
		j := i + 1
		for j < len(b) && !isDelimiter(b[j]) && j-i <= 64 {
			j++
		}
		n := unescapeName(b[i+1 : j])
		if d.dangerName(n) && (!binary || len(n) > shortName) {
			return n, true
		}
		i = j - 1
	}
	return "", false
}

func isDelimiter(c byte) bool {
	switch c {
	case 0, '\t', '\n', '\f', '\r', ' ', '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func unescapeName(b []byte) string {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '#' && i+2 < len(b) {
			if h, l := unhex(b[i+1]), unhex(b[i+2]); h >= 0 && l >= 0 {
				out = append(out, byte(h<<4|l))
				i += 2
				continue
			}
		}
		out = append(out, b[i])
	}
	return string(out)
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// binaryStream tells streams whose decoded data is not PDF syntax:
// images (§8.9.5), font programs (§9.9), ICC profiles (§8.6.5.5).
func binaryStream(t types.Dict) bool {
	switch nameOf(t, "Subtype") {
	case "Image", "Type1C", "CIDFontType0C", "OpenType":
		return true
	}
	for _, k := range []string{"Length1", "Length2", "Length3"} {
		if _, ok := t[k]; ok {
			return true
		}
	}
	_, n := t["N"]
	return n && t["Type"] == nil && t["Subtype"] == nil
}
