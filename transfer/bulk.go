package transfer

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/mugai-project/mugai/sanitizer/detect"
)

// zipEFS is the general purpose flag bit 11 of a zip entry: its name is
// UTF-8 (APPNOTE.TXT 6.3, section 4.4.4 and appendix D). Windows'
// Explorer and 7-Zip read names without it in the local code page
// (Shift_JIS in Japan), so mugai sets it on every entry.
const zipEFS = 0x800

// downloadZip sends the outputs the form selects ("f" fields, each
// "item ID/index", at most MaxFiles) as one zip that mugai writes from
// the sanitized outputs alone; an original is never among them. Every
// selected output must be one the user could download one by one, or
// the answer is 404 as for a single download. Each file is audited as a
// single download is. A file whose bytes no longer match the SHA-256
// recorded when it was sanitized stops the answer: the zip then lacks
// its central directory and no program opens it.
func (s *Server) downloadZip(w http.ResponseWriter, r *http.Request) {
	sess := session(r)
	var picked []string
	seen := map[string]bool{}
	for _, v := range r.PostForm["f"] {
		if !seen[v] {
			seen[v] = true
			picked = append(picked, v)
		}
	}
	switch {
	case len(picked) == 0:
		http.Redirect(w, r, "/?zip=none", http.StatusSeeOther)
		return
	case len(picked) > s.opts.MaxFiles:
		http.Redirect(w, r, "/?zip=many", http.StatusSeeOther)
		return
	}
	type entry struct {
		it *Item
		o  OutputFile
	}
	var entries []entry
	for _, v := range picked {
		id, n, _ := strings.Cut(v, "/")
		it, o, ok := s.output(r, id, n)
		if !ok {
			http.NotFound(w, r)
			return
		}
		entries = append(entries, entry{it, o})
	}
	now := s.opts.Now()
	fileHeaders(w, "application/zip", "mugai-"+now.Local().Format("20060102-1504")+".zip")
	zw := zip.NewWriter(w)
	names := map[string]bool{}
	for _, e := range entries {
		fh := &zip.FileHeader{Name: uniqueName(names, e.o.Name), Method: zip.Deflate, Modified: now}
		fh.Flags |= zipEFS
		if err := s.zipOutput(r.Context(), zw, fh, e.it, e.o); err != nil {
			s.failure("zip", e.it.ID, err)
			panic(http.ErrAbortHandler)
		}
		s.recordDownload(r, sess.User.Name, e.it, e.o, "zip="+strconv.Itoa(len(entries)))
	}
	if err := zw.Close(); err != nil {
		s.log.Warn("zip", "err", err)
	}
}

var errOutputChanged = errors.New("transfer: a sanitized output does not match its recorded SHA-256")

// zipOutput writes one stored output into the zip and checks it against
// its recorded SHA-256.
func (s *Server) zipOutput(ctx context.Context, zw *zip.Writer, fh *zip.FileHeader, it *Item, o OutputFile) error {
	f, err := s.outputs.Open(ctx, it.ID, o.Index)
	if err != nil {
		return err
	}
	defer f.Close()
	zf, err := zw.CreateHeader(fh)
	if err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(zf, h), f); err != nil {
		return err
	}
	if hex.EncodeToString(h.Sum(nil)) != o.SHA256 {
		return errOutputChanged
	}
	return nil
}

// uniqueName is name, cleaned as every output name is, made unique in
// the zip by a number before its extension: 報告書.pdf, 報告書 (2).pdf.
func uniqueName(taken map[string]bool, name string) string {
	name = detect.CleanName(name)
	ext := path.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	out := name
	for i := 2; taken[strings.ToLower(out)]; i++ {
		out = stem + " (" + strconv.Itoa(i) + ")" + ext
	}
	taken[strings.ToLower(out)] = true
	return out
}
