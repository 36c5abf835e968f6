package detect

import (
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// bidiControls are the Unicode bidirectional formatting characters
// (UAX #9 §2) that can make "exe.pdf" display as "fdp.exe" and back.
func isBidiControl(r rune) bool {
	switch r {
	case '\u200E', '\u200F', '\u061C', // LRM, RLM, ALM
		'\u202A', '\u202B', '\u202C', '\u202D', '\u202E', // LRE RLE PDF LRO RLO
		'\u2066', '\u2067', '\u2068', '\u2069': // LRI RLI FSI PDI
		return true
	}
	return false
}

// dangerousExt are extensions that Windows runs or opens in an active
// viewer; a document name that ends in one after a document extension is
// the double-extension trick.
var dangerousExt = map[string]bool{
	".exe": true, ".scr": true, ".com": true, ".pif": true, ".bat": true, ".cmd": true,
	".js": true, ".jse": true, ".vbs": true, ".vbe": true, ".wsf": true, ".hta": true,
	".lnk": true, ".ps1": true, ".msi": true, ".dll": true, ".cpl": true, ".jar": true,
	".iso": true, ".img": true, ".vhd": true, ".vhdx": true, ".one": true, ".html": true,
	".htm": true, ".svg": true, ".reg": true, ".url": true, ".chm": true, ".xll": true,
}

// NameFindings reports the tricks a declared file name can play.
func NameFindings(name string) []Finding {
	var out []Finding
	if name == "" {
		return nil
	}
	for _, r := range name {
		if isBidiControl(r) {
			out = append(out, Finding{FindingBidiControl, fmt.Sprintf("the name contains U+%04X, which reverses how it is displayed", r)})
			break
		}
	}
	for _, r := range name {
		if r != '\t' && unicode.IsControl(r) {
			out = append(out, Finding{FindingControlChars, fmt.Sprintf("the name contains control character U+%04X", r)})
			break
		}
	}
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	if strings.TrimRight(base, ". ") != base {
		out = append(out, Finding{FindingTrailingDots, "the name ends in a dot or space, which Windows drops"})
	}
	clean := stripInvisible(strings.TrimRight(base, ". "))
	last := strings.ToLower(path.Ext(clean))
	if prev := strings.ToLower(path.Ext(strings.TrimSuffix(clean, path.Ext(clean)))); prev != "" && dangerousExt[last] && !dangerousExt[prev] && len(prev) <= 5 {
		out = append(out, Finding{FindingDoubleExt, fmt.Sprintf("the name %q ends in %s after %s", clean, last, prev)})
	}
	return out
}

// stripInvisible removes bidi and other control characters.
func stripInvisible(s string) string {
	return strings.Map(func(r rune) rune {
		if isBidiControl(r) || unicode.IsControl(r) || r == '\uFEFF' || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
}

// extKinds lists the extensions a kind is normally saved with, to notice a
// name or declared type that lies about the content.
var extKinds = map[string][]Kind{
	".pdf": {PDF}, ".png": {PNG}, ".jpg": {JPEG}, ".jpeg": {JPEG}, ".jpe": {JPEG},
	".gif": {GIF}, ".bmp": {BMP}, ".tif": {TIFF}, ".tiff": {TIFF}, ".webp": {WebP},
	".svg": {SVG}, ".html": {HTML}, ".htm": {HTML}, ".xml": {XML, SVG},
	".txt": {Text, CSV, TSV}, ".csv": {CSV, Text}, ".tsv": {TSV, Text}, ".rtf": {RTF},
	".doc": {OLE2, RTF}, ".xls": {OLE2}, ".ppt": {OLE2}, ".msg": {OLE2},
	".docx": {DOCX}, ".docm": {DOCM}, ".dotx": {DOCX}, ".dotm": {DOCM},
	".xlsx": {XLSX}, ".xlsm": {XLSM}, ".xltx": {XLSX}, ".xltm": {XLSM},
	".pptx": {PPTX}, ".pptm": {PPTM}, ".potx": {PPTX}, ".potm": {PPTM}, ".ppsx": {PPTX}, ".ppsm": {PPTM},
	".odt": {ODT}, ".ods": {ODS}, ".odp": {ODP}, ".zip": {Zip}, ".gz": {Gzip}, ".tgz": {Gzip},
	".tar": {Tar}, ".7z": {SevenZ}, ".rar": {RAR}, ".lzh": {LZH}, ".lha": {LZH}, ".cab": {CAB},
	".iso": {ISO}, ".exe": {EXE}, ".dll": {EXE}, ".lnk": {LNK}, ".one": {OneNote},
	".eml": {EML}, ".ics": {Calendar}, ".ical": {Calendar}, ".js": {Script}, ".vbs": {Script}, ".ps1": {Script}, ".bat": {Script}, ".sh": {Script},
}

// mismatch reports when the declared name's extension or declared media
// type does not fit the detected kind.
func mismatch(k Kind, name, declaredType string) []Finding {
	var out []Finding
	if k == Empty || k == Unknown {
		return nil
	}
	ext := strings.ToLower(path.Ext(stripInvisible(strings.TrimRight(name, ". "))))
	if kinds, ok := extKinds[ext]; ok && !containsKind(kinds, k) {
		out = append(out, Finding{FindingTypeMismatch, fmt.Sprintf("the name says %s but the content is %s", ext, k)})
	}
	dt := strings.ToLower(strings.TrimSpace(strings.SplitN(declaredType, ";", 2)[0]))
	if dt != "" && dt != "application/octet-stream" && dt != MediaType(k) && !compatibleType(dt, k) {
		out = append(out, Finding{FindingTypeMismatch, fmt.Sprintf("the declared type is %s but the content is %s", dt, k)})
	}
	return out
}

func containsKind(ks []Kind, k Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// compatibleType accepts the common aliases senders use.
func compatibleType(dt string, k Kind) bool {
	switch {
	case k == JPEG && (dt == "image/jpg" || dt == "image/pjpeg"):
		return true
	case k.IsText() && strings.HasPrefix(dt, "text/"):
		return true
	case k == Zip && (dt == "application/x-zip-compressed" || dt == "application/x-zip"):
		return true
	case k == PDF && dt == "application/x-pdf":
		return true
	case k == OLE2 && (dt == "application/msword" || dt == "application/vnd.ms-excel" || dt == "application/vnd.ms-powerpoint"):
		return true
	}
	return false
}

// maxNameBytes keeps names within what every file system and mail client
// accepts (255 bytes), with room for a suffix.
const maxNameBytes = 200

// CleanName makes a declared name safe to show and to save: no folders,
// no bidi or control characters, no trailing dots or spaces, no leading
// dots, at most maxNameBytes bytes with the extension kept; "file" when nothing is left.
func CleanName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	name = stripInvisible(name)
	name = strings.Map(func(r rune) rune {
		switch r {
		case '/', ':', '*', '?', '"', '<', '>', '|':
			return '_'
		}
		return r
	}, name)
	name = strings.TrimRight(strings.TrimLeft(strings.TrimSpace(name), "."), ". ")
	if len(name) > maxNameBytes {
		ext := path.Ext(name)
		if len(ext) > 10 {
			ext = ""
		}
		stem := strings.TrimSuffix(name, ext)
		for len(stem)+len(ext) > maxNameBytes {
			_, size := utf8.DecodeLastRuneInString(stem)
			stem = stem[:len(stem)-size]
		}
		name = stem + ext
	}
	if name == "" {
		return "file"
	}
	return name
}

// WithExt replaces the extension of a cleaned name by ext (".pdf"). It
// keeps the stem, so "見積書.docm" becomes "見積書.docx".
func WithExt(name, ext string) string {
	name = CleanName(name)
	if old := path.Ext(name); old != "" && len(old) <= 6 && old != name {
		name = strings.TrimSuffix(name, old)
	}
	return name + ext
}
