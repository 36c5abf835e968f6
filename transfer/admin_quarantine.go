package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/catalog"
	"github.com/mugai-project/mugai/internal/held"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/sanitizer"
)

// heldSearch is the quarantine search of the console, from the page's
// query string: every field narrows, empty fields select everything.
type heldSearch struct {
	Sender, Recipient, Subject, Reason, Hash, State string
	dateRange
}

func parseHeldSearch(v url.Values) heldSearch {
	q := heldSearch{
		Sender: strings.TrimSpace(v.Get("sender")), Recipient: strings.TrimSpace(v.Get("recipient")), Subject: strings.TrimSpace(v.Get("subject")),
		Reason: strings.TrimSpace(v.Get("reason")), Hash: strings.ToLower(strings.TrimSpace(v.Get("hash"))),
		State: v.Get("state"), dateRange: parseDateRange(v),
	}
	if !slices.Contains([]string{"", string(store.Held), string(store.Released), string(store.Purged)}, q.State) {
		q.State = ""
	}
	return q
}

// filter is the part of the search the quarantine's own List selects.
func (q heldSearch) filter() store.Filter {
	f := store.Filter{State: store.State(q.State), Reason: q.Reason}
	f.Since, f.Until = q.bounds()
	return f
}

// match is the rest: the sender (a mail's envelope sender or an upload's
// uploader), a recipient, a mail's subject, the start of the original's
// SHA-256, each compared without regard to case.
func (q heldSearch) match(it foundItem) bool {
	switch {
	case q.Sender != "" && !contains(it.Meta["from"]+"\n"+it.Meta["uploader"], q.Sender),
		q.Recipient != "" && !contains(it.Meta["to"], q.Recipient),
		q.Subject != "" && !contains(it.Subject, q.Subject),
		q.Hash != "" && !strings.HasPrefix(it.SHA256, q.Hash):
		return false
	}
	return true
}

// contains reports whether part is in s, without regard to case.
func contains(s, part string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(part))
}

// foundItem is a row of the search: the item and its mail's subject.
type foundItem struct {
	store.Item
	Subject string
}

// subject is the subject of a mail's original: as the relay recorded it
// when it kept the original, or, for an original kept before it did,
// read from the original's header. An upload has none.
func (s *Server) subject(ctx context.Context, it store.Item) string {
	if subj, ok := it.Meta["subject"]; ok || it.Source != "smtp" {
		return subj
	}
	_, rc, err := s.q.Get(ctx, it.ID)
	if err != nil {
		return ""
	}
	defer rc.Close()
	return held.Subject(rc)
}

// maxFound bounds the rows of one search; the newest come first.
const maxFound = 200

func (s *Server) adminQuarantine(w http.ResponseWriter, r *http.Request) {
	q := parseHeldSearch(r.URL.Query())
	all, err := s.q.List(r.Context(), q.filter())
	if err != nil {
		s.log.Error("admin quarantine", "err", err)
		s.renderError(w, r, ZoneDownload, http.StatusInternalServerError, words(lang(r))("page.err_internal"))
		return
	}
	a := &adminPage{Search: q}
	for i := len(all) - 1; i >= 0 && len(a.Found) < maxFound; i-- {
		if it := (foundItem{Item: all[i], Subject: s.subject(r.Context(), all[i])}); q.match(it) {
			a.Found = append(a.Found, it)
		}
	}
	s.render(w, r, ZoneDownload, "admin_quarantine", page{Admin: a}, http.StatusOK)
}

// quarantineView is one item with its report in plain words and its trail.
type quarantineView struct {
	store.Item
	Subject string
	Report  []string
	// Notice is the notice the recipients got: written into the
	// sanitized mail, or sent instead of it; "" for an upload, or a mail
	// kept before mugai recorded its notice.
	Notice     string
	ReasonText string // the catalog's words for Reason, if it has them
	Recipients []string
	Events     []audit.Event
}

func (s *Server) quarantineItem(r *http.Request, id string) (*quarantineView, error) {
	if !store.ValidID(id) {
		return nil, store.ErrNotFound
	}
	it, rc, err := s.q.Get(r.Context(), id)
	if rc != nil {
		rc.Close()
	}
	if it.ID == "" {
		return nil, err
	}
	v := &quarantineView{Item: it}
	if catalog.Has("reason." + it.Reason) {
		v.ReasonText = catalog.Text(lang(r), "reason."+it.Reason)
	}
	var rep sanitizer.Report
	if json.Unmarshal(it.Report, &rep) == nil {
		v.Report = reportLines(&rep, lang(r))
		v.Notice = rep.Notice
	}
	v.Subject = s.subject(r.Context(), it)
	json.Unmarshal([]byte(it.Meta["to"]), &v.Recipients)
	if v.Events, err = s.audit.Events(r.Context(), audit.Filter{Item: id}); err != nil {
		return nil, err
	}
	return v, nil
}

func (s *Server) adminHeld(w http.ResponseWriter, r *http.Request) {
	s.renderHeld(w, r, http.StatusOK, "", "")
}

func (s *Server) renderHeld(w http.ResponseWriter, r *http.Request, status int, errMsg, notice string) {
	v, err := s.quarantineItem(r, r.PathValue("id"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	a := &adminPage{Item: v, CanRelease: s.opts.AllowRelease && s.opts.Operations != nil && v.Source == "smtp" && v.State == store.Held}
	s.render(w, r, ZoneDownload, "admin_item", page{Admin: a, Error: errMsg, Notice: notice}, status)
}

// adminDecide purges or releases a held item, with a reason, recorded
// before it is done. Release is offered only where the configuration
// allows it (quarantine.allow_release), as for `mugai quarantine release`,
// and only for mail, which has recipients to deliver to.
func (s *Server) adminDecide(w http.ResponseWriter, r *http.Request) {
	t := words(lang(r))
	id := r.PathValue("id")
	v, err := s.quarantineItem(r, id)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	action := r.PostFormValue("action")
	switch {
	case action != "purge" && action != "release":
		s.renderHeld(w, r, http.StatusBadRequest, t("admin.err_action"), "")
		return
	case reason == "":
		s.renderHeld(w, r, http.StatusBadRequest, t("admin.err_reason"), "")
		return
	case v.State != store.Held:
		s.renderHeld(w, r, http.StatusConflict, t("admin.err_not_held"), "")
		return
	case action == "release" && !(s.opts.AllowRelease && s.opts.Operations != nil && v.Source == "smtp"):
		s.renderHeld(w, r, http.StatusForbidden, t("admin.err_release_off"), "")
		return
	}
	if len(reason) > 1000 {
		reason = reason[:1000]
	}
	name := session(r).User.Name
	e := audit.Event{Action: actionPurge, Item: id, Name: v.Name, SHA256In: v.SHA256, Outcome: "ok", Detail: reason}
	if action == "release" {
		e.Action = actionRelease
	}
	if err := s.recordFirst(r, e); err != nil {
		s.log.Error("admin audit", "err", err)
		s.renderHeld(w, r, http.StatusInternalServerError, t("page.err_internal"), "")
		return
	}
	if action == "release" {
		_, err = s.opts.Operations.Release(r.Context(), id, name)
	} else {
		err = s.q.SetState(r.Context(), id, store.Purged, name)
	}
	if err != nil {
		e.Outcome = "failed"
		s.record(r, ZoneDownload, e)
		s.log.Error("admin "+action, "item", id, "err", err)
		msg := t("page.err_internal")
		if errors.Is(err, store.ErrNotFound) {
			msg = t("admin.err_not_held")
		}
		s.renderHeld(w, r, http.StatusInternalServerError, msg, "")
		return
	}
	done := t("admin.done_purge")
	if action == "release" {
		done = t("admin.done_release")
	}
	s.renderHeld(w, r, http.StatusOK, "", done)
}
