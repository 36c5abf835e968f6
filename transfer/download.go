package transfer

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/catalog"
)

// downloadRoutes is the download site's route table. It has no route
// that accepts a file, and serves only sanitized outputs.
func (s *Server) downloadRoutes() http.Handler {
	mux := s.commonRoutes(ZoneDownload)
	mux.HandleFunc("GET /{$}", s.authed(false, s.downloadPage))
	mux.HandleFunc("GET /files/{id}/{n}", s.authed(false, s.download))
	mux.HandleFunc("POST /files/zip", s.authed(true, s.downloadZip))
	mux.HandleFunc("POST /files/{id}/delete", s.authed(true, s.deleteItem))
	mux.HandleFunc("GET /events", s.authed(false, s.events(ZoneDownload)))
	if s.opts.Held != nil {
		s.heldRoutes(mux)
	}
	s.adminRoutes(mux)
	return s.secure(ZoneDownload, mux)
}

// downloadNotices are the words the list shows after a redirect, by the
// query parameter that asks for them.
var downloadNotices = []struct {
	param, value, key string
	error             bool // a refusal, shown as an error
}{
	{"deleted", "1", "page.deleted", false},
	{"zip", "none", "page.history.zip_none", true},
	{"zip", "many", "page.history.zip_many", true},
}

func (s *Server) downloadPage(w http.ResponseWriter, r *http.Request) {
	p := page{}
	for _, n := range downloadNotices {
		switch {
		case r.URL.Query().Get(n.param) != n.value:
		case n.error:
			p.Error = catalog.N(lang(r), n.key, s.opts.MaxFiles)
		default:
			p.Notice = catalog.Text(lang(r), n.key)
		}
	}
	s.renderList(w, r, ZoneDownload, p)
}

// download serves one sanitized output to its owner or a recipient. Any
// other user gets 404, as for an item that does not exist (no IDOR, no
// probing).
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	sess := session(r)
	it, o, ok := s.output(r, r.PathValue("id"), r.PathValue("n"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	f, err := s.outputs.Open(r.Context(), it.ID, o.Index)
	if err != nil {
		s.log.Warn("download", "item_id", it.ID, "err", err)
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fileHeaders(w, o.MediaType, o.Name)
	s.recordDownload(r, sess.User.Name, it, o, "")
	http.ServeContent(w, r, "", time.Time{}, f)
}

// output finds output n of item id if the session's user may download it.
func (s *Server) output(r *http.Request, id, n string) (*Item, OutputFile, bool) {
	it, err := s.item(r.Context(), id)
	if err != nil || !it.canSee(session(r).User.Name) || !it.downloadable(s.opts.Now()) {
		return nil, OutputFile{}, false
	}
	i, err := strconv.Atoi(n)
	if err != nil || i < 0 || i >= len(it.Outputs) || strconv.Itoa(i) != n {
		return nil, OutputFile{}, false
	}
	return it, it.Outputs[i], true
}

// fileHeaders are the headers of every file the download site serves.
func fileHeaders(w http.ResponseWriter, mediaType, name string) {
	h := w.Header()
	h.Set("Content-Type", mediaType)
	h.Set("Content-Disposition", contentDisposition(name))
	h.Set("Content-Security-Policy", fileCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}

// recordDownload audits one output going to user and marks it downloaded.
func (s *Server) recordDownload(r *http.Request, user string, it *Item, o OutputFile, detail string) {
	s.record(r, ZoneDownload, audit.Event{Action: audit.Download, Item: it.ID, Name: o.Name, SHA256In: it.SHA256, SHA256Out: o.SHA256,
		Detail: strings.TrimSpace("owner=" + it.Owner + " " + detail)})
	if err := s.markDownloaded(r.Context(), user, it.ID, o.Index); err != nil {
		s.log.Warn("download mark", "item_id", it.ID, "err", err)
	}
}

// contentDisposition is "attachment" with an ASCII fallback filename and
// the UTF-8 name in filename* (RFC 6266 section 4.3, RFC 5987 section 3.2).
func contentDisposition(name string) string {
	var fb strings.Builder
	for _, r := range name {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' || r == ';' {
			fb.WriteByte('_')
		} else {
			fb.WriteRune(r)
		}
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, fb.String(), rfc5987(name))
}

// rfc5987 percent-encodes everything but attr-char (RFC 5987 section 3.2.1).
func rfc5987(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// deleteItem removes an item's sanitized outputs. Only the uploader may
// delete; the original stays in the quarantine for its retention.
func (s *Server) deleteItem(w http.ResponseWriter, r *http.Request) {
	sess := session(r)
	it, err := s.item(r.Context(), r.PathValue("id"))
	if err != nil || it.Owner != sess.User.Name || !it.State.final() || it.State == Deleted || it.State == Expired {
		http.NotFound(w, r)
		return
	}
	if err := s.removeOutputs(r.Context(), it, Deleted); err != nil {
		s.failure("delete", it.ID, err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.record(r, ZoneDownload, audit.Event{Action: audit.Delete, Item: it.ID, Name: it.Name, SHA256In: it.SHA256})
	http.Redirect(w, r, "/?deleted=1", http.StatusSeeOther)
}

func (s *Server) removeOutputs(ctx context.Context, it *Item, st State) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE transfer_items SET state=? WHERE id=?`, string(st), it.ID); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM transfer_outputs WHERE item_id=?`, it.ID); err != nil {
		return err
	}
	s.hub.notify()
	return s.outputs.Remove(ctx, it.ID)
}

// Purge removes the outputs of every item whose expiry has passed and
// returns how many it purged. Originals stay in the quarantine until its
// own retention ends.
func (s *Server) Purge(ctx context.Context) (int, error) {
	items, err := s.queryItems(ctx, `WHERE state NOT IN ('deleted','expired','received','processing') AND expires <= ?`, s.db.Stamp(s.opts.Now()))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, it := range items {
		if err := s.removeOutputs(ctx, it, Expired); err != nil {
			return n, err
		}
		n++
		if err := s.audit.Record(ctx, audit.Event{Zone: "system", User: it.Owner, Action: audit.Expire, Item: it.ID, Name: it.Name, SHA256In: it.SHA256}); err != nil {
			s.log.Error("audit", "err", err)
		}
	}
	if err := s.purgeHeldFiles(ctx); err != nil {
		s.log.Warn("purging unlocked held files", "err", err)
	}
	if err := s.users.PurgeSessions(ctx); err != nil {
		s.log.Warn("purging sessions", "err", err)
	}
	if err := s.users.PurgeLockouts(ctx); err != nil {
		s.log.Warn("purging login lockouts", "err", err)
	}
	return n, nil
}

// purgeLoop purges every PurgeInterval, on one node of a cluster at a
// time: a node that finds another purging skips its turn.
func (s *Server) purgeLoop(ctx context.Context) {
	t := time.NewTicker(s.opts.PurgeInterval)
	defer t.Stop()
	for {
		var n int
		_, err := s.db.Lead(ctx, "transfer-purge", func(ctx context.Context) (err error) {
			n, err = s.Purge(ctx)
			return err
		})
		if err != nil && ctx.Err() == nil {
			s.log.Error("purge", "err", err)
		} else if n > 0 {
			s.log.Info("purged expired items", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
