package transfer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// The sanitized contents of an unlocked held mail, kept for its
// recipient to download for Options.Expiry: the attachments of the
// message the engine rebuilt, in Options.HeldFiles as blobs
// <item>-<user hash>/<n>, so that any node's download site serves them.

const heldFilesSchema = `
CREATE TABLE IF NOT EXISTS held_files (
	item TEXT NOT NULL,
	user_name TEXT NOT NULL,
	idx INTEGER NOT NULL,
	name TEXT NOT NULL,
	media_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	sha256 TEXT NOT NULL,
	expires {time},
	PRIMARY KEY (item, user_name, idx)
);
`

// heldFilesKey names user's kept files of item in s.heldFiles.
func heldFilesKey(item, user string) string { return item + "-" + shortHash(user) }

// storeUnlocked keeps the attachments of the rebuilt message for user,
// replacing any kept before.
func (s *Server) storeUnlocked(ctx context.Context, item, user string, rebuilt io.Reader) error {
	mr, err := gomail.CreateReader(rebuilt)
	if err != nil {
		return fmt.Errorf("reading the rebuilt message: %w", err)
	}
	key := heldFilesKey(item, user)
	if err := s.heldFiles.Remove(ctx, key); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM held_files WHERE item = ? AND user_name = ?`, item, user); err != nil {
		return err
	}
	expires := s.db.Stamp(s.opts.Now().Add(s.opts.Expiry))
	for n := 0; ; {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil && !message.IsUnknownCharset(err) {
			return fmt.Errorf("reading the rebuilt message: %w", err)
		}
		ah, ok := p.Header.(*gomail.AttachmentHeader)
		if !ok {
			continue
		}
		name, _ := ah.Filename()
		mt, _, _ := ah.ContentType()
		h := sha256.New()
		c := &countingWriter{w: h}
		if err := s.heldFiles.Put(ctx, key, n, io.TeeReader(p.Body, c)); err != nil {
			return err
		}
		if _, err := s.db.ExecContext(ctx, `INSERT INTO held_files (item, user_name, idx, name, media_type, size, sha256, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			item, user, n, detect.CleanName(name), mt, c.n, hex.EncodeToString(h.Sum(nil)), expires); err != nil {
			return err
		}
		n++
	}
}

// countingWriter counts what it passes on to w.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// heldFile is one kept file.
type heldFile struct {
	Index     int
	Name      string
	MediaType string
	Size      int64
	SHA256    string
}

// unlockedFiles are user's kept files of item that have not expired.
func (s *Server) unlockedFiles(ctx context.Context, item, user string) ([]heldFile, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT idx, name, media_type, size, sha256 FROM held_files
		WHERE item = ? AND user_name = ? AND expires > ? ORDER BY idx`, item, user, s.db.Stamp(s.opts.Now()))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []heldFile
	for rows.Next() {
		var f heldFile
		if err := rows.Scan(&f.Index, &f.Name, &f.MediaType, &f.Size, &f.SHA256); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// downloadHeldFile serves one kept file to the recipient who unlocked
// it; anyone else gets 404.
func (s *Server) downloadHeldFile(w http.ResponseWriter, r *http.Request) {
	v, rc, ok := s.heldItem(r)
	if rc != nil {
		rc.Close()
	}
	if !ok || v.Rcpt == "" {
		http.NotFound(w, r)
		return
	}
	user := session(r).User.Name
	files, err := s.unlockedFiles(r.Context(), v.Item.ID, user)
	n, nerr := strconv.Atoi(r.PathValue("n"))
	if err != nil || nerr != nil || n < 0 || n >= len(files) || strconv.Itoa(n) != r.PathValue("n") {
		http.NotFound(w, r)
		return
	}
	hf := files[n]
	f, err := s.heldFiles.Open(r.Context(), heldFilesKey(v.Item.ID, user), hf.Index)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", hf.MediaType)
	h.Set("Content-Disposition", contentDisposition(hf.Name))
	h.Set("Content-Security-Policy", fileCSP)
	s.record(r, ZoneDownload, audit.Event{Action: audit.Download, Item: v.Item.ID, Name: hf.Name, SHA256In: v.Item.SHA256, SHA256Out: hf.SHA256, Detail: "held mail, unlocked"})
	http.ServeContent(w, r, "", time.Time{}, f)
}

// purgeHeldFiles removes the kept files whose time has passed.
func (s *Server) purgeHeldFiles(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT item, user_name FROM held_files WHERE expires <= ?`, s.db.Stamp(s.opts.Now()))
	if err != nil {
		return err
	}
	var gone [][2]string
	for rows.Next() {
		var it, u string
		if rows.Scan(&it, &u) == nil {
			gone = append(gone, [2]string{it, u})
		}
	}
	rows.Close()
	for _, g := range gone {
		if err := s.heldFiles.Remove(ctx, heldFilesKey(g[0], g[1])); err != nil {
			return err
		}
		if _, err := s.db.ExecContext(ctx, `DELETE FROM held_files WHERE item = ? AND user_name = ?`, g[0], g[1]); err != nil {
			return err
		}
	}
	return nil
}
