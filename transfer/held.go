package transfer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/internal/held"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/sanitizer"
)

// Mailer queues a mail mugai made for delivery to the LGWAN MTA (the
// relay's outbox, which retries): the contents of an unlocked item, a
// released original, a notification. Sending the same id twice queues
// it once.
type Mailer interface {
	Send(ctx context.Context, id string, to []string, msg io.Reader) error
}

// alwaysRefused are the reasons for which no original is released, by
// any approver, whatever the configuration: executables and malware.
var alwaysRefused = []string{sanitizer.ReasonExecutable, sanitizer.ReasonMalware}

// neverReleased reports whether an original kept for reason code may
// not be released.
func (s *Server) neverReleased(code string) bool {
	return slices.Contains(alwaysRefused, code) || slices.Contains(s.opts.NeverRelease, code)
}

// heldView is the held-item page of one mail for one viewer.
type heldView struct {
	Token   string
	Item    store.Item
	From    string
	Subject string
	Date    time.Time
	Parts   []heldPart
	// Rcpt is the viewer's address among the message's recipients; ""
	// for an administrator who is not one.
	Rcpt      string
	Purged    bool
	Encrypted bool // a part waits for a password
	Password  bool // and the viewer may type it
	Locked    bool // too many wrong passwords: an administrator must act
	Admin     bool // the viewer is an administrator
	TriesLeft int
	// Release: the viewer may ask for the original; NoRelease: policy
	// forbids releasing it to anyone.
	Release, NoRelease bool
	Request            *heldRequest // the viewer's latest request
	// Hints are the passwords found in the sender's later mails to the
	// viewer, offered to try; never the passwords themselves.
	Hints []heldHint
	// Files are the sanitized contents the viewer unlocked, to download.
	Files []heldFile
}

// heldHint is a password found in a later mail, as the page names it.
type heldHint struct {
	ID, From, Subject string
	Received          time.Time
}

// heldPart is one withheld part, in words.
type heldPart struct {
	Name, Why string
}

// heldItem resolves the token of the request to the item and checks that
// the viewer may see it: a recipient of the message or an
// administrator. Anything else is ok false, answered with 404 by the
// caller, telling nothing.
func (s *Server) heldItem(r *http.Request) (v *heldView, original io.ReadCloser, ok bool) {
	tok := r.PathValue("token")
	id, valid := s.opts.Held.Item(tok)
	if !valid {
		return nil, nil, false
	}
	it, rc, err := s.q.Get(r.Context(), id)
	if err != nil && !errors.Is(err, store.ErrPurged) || it.Source != "smtp" {
		if rc != nil {
			rc.Close()
		}
		return nil, nil, false
	}
	var rcpts []string
	json.Unmarshal([]byte(it.Meta["to"]), &rcpts)
	sess := session(r)
	v = &heldView{Token: tok, Item: it, From: it.Meta["from"], Date: it.Created, Purged: errors.Is(err, store.ErrPurged),
		Rcpt: held.IsRecipient(sess.User.Name, rcpts), Admin: sess.User.Role == auth.RoleAdmin}
	if v.Rcpt == "" && !v.Admin {
		if rc != nil {
			rc.Close()
		}
		return nil, nil, false
	}
	return v, rc, true
}

// fillHeld completes the page: the parts from the report, the subject from
// the original's header, the tries and the viewer's request.
func (s *Server) fillHeld(ctx context.Context, v *heldView, original io.Reader, user, lang string) error {
	var rep sanitizer.Report
	json.Unmarshal(v.Item.Report, &rep)
	encrypted, forbidden := false, s.neverReleased(v.Item.Reason)
	var walk func(r *sanitizer.Report)
	walk = func(r *sanitizer.Report) {
		for _, f := range r.Findings {
			forbidden = forbidden || f.Code == sanitizer.FindingMalware
		}
		for _, rs := range r.Reasons {
			forbidden = forbidden || s.neverReleased(rs.Code)
			encrypted = encrypted || rs.Code == sanitizer.ReasonEncrypted || rs.Code == sanitizer.ReasonWrongPassword
		}
		if r.Withheld && (r != &rep || len(rep.Children) == 0) {
			why := ""
			if len(r.Reasons) > 0 {
				why = r.Reasons[0].Text(lang)
			}
			name := held.Clean(r.Name)
			if r == &rep {
				name = "" // the whole message
			}
			v.Parts = append(v.Parts, heldPart{Name: name, Why: why})
		}
		for _, c := range r.Children {
			walk(c)
		}
	}
	walk(&rep)
	if original != nil {
		v.Subject = held.Subject(original)
	}
	fails := 0
	if v.Rcpt != "" {
		var err error
		if fails, err = s.heldFailures(ctx, v.Item.ID, v.Rcpt); err != nil {
			return err
		}
	}
	v.TriesLeft = max(0, s.opts.MaxPasswordTries-fails)
	v.Encrypted = encrypted
	v.Locked = encrypted && v.TriesLeft == 0
	var err error
	if v.Rcpt != "" {
		if v.Files, err = s.unlockedFiles(ctx, v.Item.ID, user); err != nil {
			return err
		}
	}
	// NoRelease is the item's, whoever looks (the approver too).
	v.NoRelease = forbidden
	if v.Rcpt != "" && !v.Purged {
		v.Password = encrypted && !v.Locked && len(v.Files) == 0
		v.Release = !forbidden
	}
	if v.Password {
		for _, h := range s.opts.Hints.For(v.Item.ID, v.Rcpt) {
			v.Hints = append(v.Hints, heldHint{ID: h.ID, From: held.Clean(h.From), Subject: held.Clean(h.Subject), Received: h.Received})
		}
	}
	if v.Rcpt != "" {
		if v.Request, err = s.latestRequest(ctx, v.Item.ID, user); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) heldPage(w http.ResponseWriter, r *http.Request) {
	s.showHeld(w, r, http.StatusOK, "", "")
}

// showHeld renders the page of the request's token, or 404.
func (s *Server) showHeld(w http.ResponseWriter, r *http.Request, status int, errMsg, notice string) {
	v, rc, ok := s.heldItem(r)
	if !ok {
		s.renderError(w, r, ZoneDownload, http.StatusNotFound, words(lang(r))("held.page.not_found"))
		return
	}
	if rc != nil {
		defer rc.Close()
	}
	if err := s.fillHeld(r.Context(), v, rc, session(r).User.Name, lang(r)); err != nil {
		s.log.Error("held page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.render(w, r, ZoneDownload, "held", page{Held: v, Error: errMsg, Notice: notice}, status)
}

// unlockHeld takes a password for the held message, runs the original
// through the engine with it, and sends the recipient the sanitized
// contents as a new mail. The password is neither logged nor stored.
func (s *Server) unlockHeld(w http.ResponseWriter, r *http.Request) {
	t := words(lang(r))
	v, rc, ok := s.heldItem(r)
	if !ok || v.Rcpt == "" {
		if rc != nil {
			rc.Close()
		}
		s.renderError(w, r, ZoneDownload, http.StatusNotFound, t("held.page.not_found"))
		return
	}
	if rc == nil {
		s.showHeld(w, r, http.StatusGone, t("held.page.purged"), "")
		return
	}
	defer rc.Close()
	ctx := r.Context()
	if err := s.fillHeld(ctx, v, nil, session(r).User.Name, lang(r)); err != nil {
		s.log.Error("held unlock", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if !v.Encrypted {
		s.renderError(w, r, ZoneDownload, http.StatusNotFound, t("held.page.not_found"))
		return
	}
	base := audit.Event{Action: audit.HeldUnlock, Item: v.Item.ID, SHA256In: v.Item.SHA256}
	if v.Locked {
		base.Outcome = "locked"
		s.record(r, ZoneDownload, base)
		s.showHeld(w, r, http.StatusTooManyRequests, t("held.page.locked"), "")
		return
	}
	pw := r.PostFormValue("password")
	if id := r.PostFormValue("hint"); id != "" {
		// A password from a later mail, which the page never showed.
		h, ok := s.opts.Hints.Take(v.Item.ID, v.Rcpt, id)
		if !ok {
			s.showHeld(w, r, http.StatusGone, t("held.page.hint_gone"), "")
			return
		}
		pw, base.Detail = h.Password, "password from a later mail of "+h.From
	}
	if pw == "" {
		s.showHeld(w, r, http.StatusBadRequest, t("held.page.password_empty"), "")
		return
	}
	res, err := s.eng.Sanitize(ctx, sanitizer.Input{ID: v.Item.ID, Name: "message.eml", DeclaredType: "message/rfc822", Body: rc, Password: pw})
	if err != nil {
		s.log.Error("held unlock: sanitizer", "item_id", v.Item.ID, "err", err)
		base.Outcome = "error"
		s.record(r, ZoneDownload, base)
		s.showHeld(w, r, http.StatusInternalServerError, t("held.page.unlock_failed"), "")
		return
	}
	defer res.Close()
	if res.Report.HasReason(sanitizer.ReasonWrongPassword) || res.Report.HasReason(sanitizer.ReasonEncrypted) {
		if err := s.addHeldFailure(ctx, v.Item.ID, v.Rcpt); err != nil {
			s.log.Error("held unlock", "err", err)
		}
		base.Outcome = "wrong-password"
		s.record(r, ZoneDownload, base)
		s.showHeld(w, r, http.StatusUnprocessableEntity, t("held.page.wrong_password"), "")
		return
	}
	if res.Report.Withheld || len(res.Outputs) != 1 {
		base.Outcome = "withheld"
		s.record(r, ZoneDownload, base)
		s.showHeld(w, r, http.StatusUnprocessableEntity, t("held.page.unlock_failed"), "")
		return
	}
	out := res.Outputs[0]
	id := v.Item.ID + "-unlock-" + shortHash(v.Rcpt)
	err = s.storeUnlocked(ctx, v.Item.ID, session(r).User.Name, out.Open())
	var msg io.Reader
	if err == nil {
		msg, err = s.unlockedMail(v, out.Open(), lang(r))
	}
	if err == nil {
		err = s.opts.Mailer.Send(ctx, id, []string{v.Rcpt}, msg)
	}
	if err != nil {
		s.log.Error("held unlock: queueing the mail", "item_id", v.Item.ID, "err", err)
		base.Outcome = "error"
		s.record(r, ZoneDownload, base)
		s.showHeld(w, r, http.StatusInternalServerError, t("held.page.unlock_failed"), "")
		return
	}
	base.Outcome, base.SHA256Out = "ok", out.SHA256()
	base.Detail = strings.TrimPrefix(base.Detail+"; sent to "+v.Rcpt+" as "+id, "; ")
	s.record(r, ZoneDownload, base)
	s.opts.Hints.Forget(v.Item.ID, v.Rcpt)
	s.showHeld(w, r, http.StatusOK, "", t("held.page.unlocked", v.Rcpt))
}

// shortHash names a recipient in an outbox ID.
func shortHash(s string) string {
	h := sha256.Sum256([]byte(strings.ToLower(s)))
	return hex.EncodeToString(h[:6])
}

// heldRoutes are the download site's pages of held mail items.
func (s *Server) heldRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /held/{token}", s.authed(false, s.heldPage))
	mux.HandleFunc("POST /held/{token}/password", s.authed(true, s.unlockHeld))
	mux.HandleFunc("POST /held/{token}/request", s.authed(true, s.requestOriginal))
	mux.HandleFunc("GET /held/{token}/files/{n}", s.authed(false, s.downloadHeldFile))
	mux.HandleFunc("POST /held/{token}/tries", s.authed(true, s.resetTries))
	mux.HandleFunc("GET /held-requests", s.authed(false, s.heldRequestsPage))
	mux.HandleFunc("POST /held-requests/{id}", s.authed(true, s.decideRequest))
}

// resetTries gives a held mail whose password tries ran out a new set:
// an administrator's decision, after speaking with its recipient.
func (s *Server) resetTries(w http.ResponseWriter, r *http.Request) {
	v, rc, ok := s.heldItem(r)
	if rc != nil {
		rc.Close()
	}
	if !ok || !v.Admin {
		s.renderError(w, r, ZoneDownload, http.StatusNotFound, words(lang(r))("held.page.not_found"))
		return
	}
	if _, err := s.db.ExecContext(r.Context(), `DELETE FROM held_password_tries WHERE item = ?`, v.Item.ID); err != nil {
		s.log.Error("held reset", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.record(r, ZoneDownload, audit.Event{Action: audit.HeldUnlock, Item: v.Item.ID, Outcome: "tries-reset"})
	s.showHeld(w, r, http.StatusOK, "", words(lang(r))("held.page.tries_reset"))
}
