package transfer

import (
	"net/http"
	"strings"

	"github.com/mugai-project/mugai/internal/audit"
)

// adminQueue lists the relay's outbox, as `mugai queue list` does.
func (s *Server) adminQueue(w http.ResponseWriter, r *http.Request) {
	s.renderQueue(w, r, http.StatusOK, "", "")
}

func (s *Server) renderQueue(w http.ResponseWriter, r *http.Request, status int, errMsg, notice string) {
	a := &adminPage{HasRelay: s.opts.Operations != nil}
	if a.HasRelay {
		q, err := s.opts.Operations.Queue(r.Context())
		if err != nil {
			s.log.Error("admin queue", "err", err)
			errMsg = words(lang(r))("page.err_internal")
			status = http.StatusInternalServerError
		}
		a.Queue = q
	}
	s.render(w, r, ZoneDownload, "admin_queue", page{Admin: a, Error: errMsg, Notice: notice}, status)
}

// adminQueueAction retries or deletes an outbox entry, recorded before it
// is done; a deletion needs a reason.
func (s *Server) adminQueueAction(w http.ResponseWriter, r *http.Request) {
	t := words(lang(r))
	if s.opts.Operations == nil {
		http.NotFound(w, r)
		return
	}
	id, action := r.PathValue("id"), r.PostFormValue("action")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	switch {
	case action != "retry" && action != "delete":
		s.renderQueue(w, r, http.StatusBadRequest, t("admin.err_action"), "")
		return
	case action == "delete" && reason == "":
		s.renderQueue(w, r, http.StatusBadRequest, t("admin.err_reason"), "")
		return
	}
	if len(reason) > 1000 {
		reason = reason[:1000]
	}
	e := audit.Event{Action: actionQueue + action, Item: id, Outcome: "ok", Detail: reason}
	if err := s.recordFirst(r, e); err != nil {
		s.log.Error("admin audit", "err", err)
		s.renderQueue(w, r, http.StatusInternalServerError, t("page.err_internal"), "")
		return
	}
	if err := s.opts.Operations.QueueAction(r.Context(), action, id, session(r).User.Name); err != nil {
		e.Outcome = "failed"
		s.record(r, ZoneDownload, e)
		s.log.Warn("admin queue "+action, "id", id, "err", err)
		s.renderQueue(w, r, http.StatusNotFound, t("admin.err_queue", id), "")
		return
	}
	done := t("admin.done_retry", id)
	if action == "delete" {
		done = t("admin.done_delete", id)
	}
	s.renderQueue(w, r, http.StatusOK, "", done)
}
