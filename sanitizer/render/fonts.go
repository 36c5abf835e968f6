package render

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/mugai-project/mugai/internal/fsutil"
)

// maxFontFiles bounds how many files a misconfigured FontDirs can pull in.
const maxFontFiles = 64

// buildFontRoot makes a fresh folder under cacheDir that holds
// usr/share/fonts/<file> for every font file found in dirs (a dir may also
// name a single file). Files are hard-linked when possible and copied
// otherwise. The folder is this process's own (concurrent processes may
// share cacheDir); Pool.Close removes it. It returns the folder and the
// names of the fonts placed in it.
func buildFontRoot(cacheDir string, dirs []string) (string, []string, error) {
	removeStaleFontRoots(cacheDir)
	root, err := os.MkdirTemp(cacheDir, fmt.Sprintf("fontroot-%d-", os.Getpid()))
	if err != nil {
		return "", nil, err
	}
	dst := filepath.Join(root, "usr", "share", "fonts")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		os.RemoveAll(root)
		return "", nil, err
	}
	seen := map[string]bool{}
	var names []string
	for _, dir := range dirs {
		for _, src := range findFonts(dir) {
			real, err := filepath.EvalSymlinks(src)
			if err != nil || seen[real] {
				continue
			}
			name := filepath.Base(real)
			if slices.Contains(names, name) || len(names) >= maxFontFiles {
				continue
			}
			seen[real] = true
			if err := linkOrCopy(real, filepath.Join(dst, name)); err != nil {
				continue // an unreadable font is skipped, not fatal
			}
			names = append(names, name)
		}
	}
	return root, names, nil
}

// removeStaleFontRoots removes the font folders of processes that ended
// without Pool.Close (a crash or kill -9): their names carry the PID.
func removeStaleFontRoots(cacheDir string) {
	ents, _ := os.ReadDir(cacheDir)
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "fontroot-%d-", &pid); err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(filepath.Join(cacheDir, e.Name()))
		}
	}
}

// findFonts lists the regular-weight font files under path.
func findFonts(path string) []string {
	var out []string
	_ = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if isFontFile(d.Name()) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func isFontFile(name string) bool {
	lower := strings.ToLower(name)
	switch filepath.Ext(lower) {
	case ".ttf", ".otf", ".ttc", ".otc":
	default:
		return false
	}
	// PDFium synthesizes bold; heavy weights of fonts-noto-cjk would only
	// cost start-up time and memory (tens of MiB each).
	for _, w := range []string{"bold", "black", "light", "thin", "medium", "heavy", "semibold", "extralight", "demi"} {
		if strings.Contains(lower, w) {
			return false
		}
	}
	return true
}

// hasCJK reports whether any of the font file names is a known CJK font.
func hasCJK(names []string) bool {
	for _, n := range names {
		l := strings.ToLower(n)
		for _, k := range []string{"ipa", "cjk", "takao", "vl-gothic", "vl-pgothic", "vlgothic", "droidsansfallback", "sourcehan", "ume-", "wqy", "hanazono", "japanese", "gothic", "mincho"} {
			if strings.Contains(l, k) {
				return true
			}
		}
	}
	return false
}

func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	return fsutil.CopyFile(dst, src, 0o644)
}
