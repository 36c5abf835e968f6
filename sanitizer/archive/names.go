package archive

import (
	"fmt"
	"path"
	"strings"

	"github.com/mugai-project/mugai/sanitizer/detect"
)

// maxDirs bounds how many folder levels of an entry's path are kept in the
// rebuilt archive; deeper levels are folded into the last kept folder.
const maxDirs = 16

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
