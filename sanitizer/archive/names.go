package archive

import (
	"fmt"
	"hash/crc32"
	"path"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"

	"github.com/mugai-project/mugai/sanitizer/detect"
)

// maxDirs bounds how many folder levels of an entry's path are kept in the
// rebuilt archive; deeper levels are folded into the last kept folder.
const maxDirs = 16

// decodeName turns a stored zip name into UTF-8. The order follows
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
func decodeName(raw []byte, flagUTF8 bool, unicodePath []byte, unicodeCRC uint32, hasUnicode bool) (name string, cp932 bool) {
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

// splitPath cleans a stored entry path into its folders and base name.
// Both '/' and '\' separate (Windows tools write either); empty, "." and
// ".." elements never leave the archive's root (".." removes the folder
// before it, if any); a drive ("C:") or a leading separator is dropped;
// each element is cleaned by detect.CleanName (no bidi or control
// characters, no reserved characters, no leading or trailing dots) and
// kept clear of Windows device names. changed reports whether the result
// differs from the stored path.
func splitPath(name string) (dirs []string, base string, changed bool) {
	parts := strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' })
	if len(parts) > 0 && len(parts[0]) == 2 && parts[0][1] == ':' {
		parts = parts[1:] // a drive letter
	}
	var elems []string
	for _, p := range parts {
		switch p {
		case ".":
			continue
		case "..":
			if len(elems) > 0 {
				elems = elems[:len(elems)-1]
			}
			continue
		}
		elems = append(elems, cleanElem(p))
	}
	if len(elems) == 0 {
		return nil, "file", true
	}
	dirs, base = elems[:len(elems)-1], elems[len(elems)-1]
	if len(dirs) > maxDirs {
		dirs = dirs[:maxDirs]
	}
	return dirs, base, strings.Join(append(append([]string(nil), dirs...), base), "/") != strings.TrimSuffix(name, "/")
}

// cleanElem cleans one path element.
func cleanElem(s string) string {
	s = detect.CleanName(s)
	stem, _, _ := strings.Cut(s, ".")
	if windowsDevice[strings.ToUpper(strings.TrimSpace(stem))] {
		s = "_" + s
	}
	return s
}

// windowsDevice are the names Windows reserves for devices in every
// folder, with any extension ("CON.txt" opens the console).
var windowsDevice = map[string]bool{
	"CON": true, "PRN": true, "AUX": true, "NUL": true, "CONIN$": true, "CONOUT$": true,
	"COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true, "COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true, "LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true,
}

// nameSet hands out unique paths in the rebuilt archive. Names are
// compared case-insensitively, as Windows and macOS file systems do, and
// a file may not take the name of a folder or the reverse.
type nameSet struct {
	files map[string]bool
	dirs  map[string]bool
}

func newNameSet() *nameSet {
	return &nameSet{files: map[string]bool{}, dirs: map[string]bool{}}
}

// place returns a free path for base in dirs, renaming "a.txt" to
// "a (2).txt" and so on when taken. Folders that collide with a file are
// renamed the same way. renamed reports a change.
func (s *nameSet) place(dirs []string, base string) (p string, renamed bool) {
	prefix := ""
	for _, d := range dirs {
		cand := d
		for i := 2; s.files[key(prefix+cand)]; i++ {
			cand = numbered(d, i, false)
			renamed = true
		}
		prefix += cand + "/"
		s.dirs[key(strings.TrimSuffix(prefix, "/"))] = true
	}
	cand := base
	for i := 2; s.files[key(prefix+cand)] || s.dirs[key(prefix+cand)]; i++ {
		cand = numbered(base, i, true)
		renamed = true
	}
	s.files[key(prefix+cand)] = true
	return prefix + cand, renamed
}

func key(p string) string { return strings.ToLower(p) }

// numbered inserts " (i)" before the extension of a file name, or at the
// end of a folder name.
func numbered(name string, i int, file bool) string {
	ext := ""
	if file {
		ext = path.Ext(name)
		if ext == name || len(ext) > 10 {
			ext = ""
		}
	}
	return fmt.Sprintf("%s (%d)%s", strings.TrimSuffix(name, ext), i, ext)
}

// unsafePath reports whether a stored path tries to leave the folder it
// is unpacked in: "..", an absolute path, a drive letter.
func unsafePath(name string) bool {
	n := strings.ReplaceAll(name, "\\", "/")
	if strings.HasPrefix(n, "/") || len(n) >= 2 && n[1] == ':' {
		return true
	}
	for _, e := range strings.Split(n, "/") {
		if e == ".." {
			return true
		}
	}
	return false
}
