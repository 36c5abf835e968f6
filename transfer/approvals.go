package transfer

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mugai-project/mugai/internal/audit"
)

// approvalRow is one item in the approver's queue: what mugai found and
// did, who sent it to whom and why, and what the sanitized files look
// like.
type approvalRow struct {
	Item    *Item
	Report  []string
	Outputs []outputPreview
}

// maxReason bounds the reason of a 差し戻し, in bytes.
const maxReason = 2000

func (s *Server) approvalsPage(w http.ResponseWriter, r *http.Request) {
	msg := ""
	if r.URL.Query().Get("done") != "" {
		msg = words(lang(r))("page.approval_saved")
	}
	s.renderApprovals(w, r, http.StatusOK, "", msg)
}

// renderApprovals shows the approver's queue, less their own uploads,
// with an error or a notice.
func (s *Server) renderApprovals(w http.ResponseWriter, r *http.Request, status int, errMsg, notice string) {
	sess := session(r)
	t := words(lang(r))
	if !sess.User.Role.CanApprove() {
		s.renderError(w, r, ZoneUpload, http.StatusForbidden, t("page.err_forbidden"))
		return
	}
	items, err := s.pendingApprovals(r.Context(), sess.User.Name)
	if err != nil {
		s.log.Error("approvals", "err", err)
		s.renderError(w, r, ZoneUpload, http.StatusInternalServerError, t("page.err_internal"))
		return
	}
	p := page{Error: errMsg, Notice: notice}
	for _, it := range items {
		p.Approvals = append(p.Approvals, approvalRow{Item: it, Report: reportLines(it.Report, lang(r)), Outputs: s.previews(r.Context(), it)})
	}
	s.render(w, r, ZoneUpload, "approvals", p, status)
}

// decide approves or rejects an item. The decision is explicit (a form
// without one is refused, never taken as approval), a rejection carries
// a reason the uploader reads on their page, and an approver cannot
// decide on their own upload (四つの目: a second person looks at it).
func (s *Server) decide(w http.ResponseWriter, r *http.Request) {
	sess := session(r)
	t := words(lang(r))
	if !sess.User.Role.CanApprove() {
		s.renderError(w, r, ZoneUpload, http.StatusForbidden, t("page.err_forbidden"))
		return
	}
	refuse := func(status int, key string) { s.renderApprovals(w, r, status, t(key), "") }
	it, err := s.item(r.Context(), r.PathValue("id"))
	if err != nil {
		refuse(http.StatusNotFound, "page.err_not_pending")
		return
	}
	if it.Owner == sess.User.Name {
		refuse(http.StatusForbidden, "page.err_self_approve")
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	var decision, action string
	switch r.PostFormValue("decision") {
	case "approve":
		decision, action, reason = ApprovalApproved, audit.Approve, ""
	case "reject":
		decision, action = ApprovalRejected, audit.Reject
		if reason == "" || len(reason) > maxReason || !utf8.ValidString(reason) {
			refuse(http.StatusBadRequest, "page.err_reason")
			return
		}
	default:
		refuse(http.StatusBadRequest, "page.err_decision")
		return
	}
	if n, err := affected(s.db.ExecContext(r.Context(), `UPDATE transfer_items SET approval=?, approved_by=?, reject_reason=? WHERE id=? AND state='done' AND approval='pending'`,
		decision, sess.User.Name, reason, it.ID)); err != nil || n == 0 {
		refuse(http.StatusConflict, "page.err_not_pending")
		return
	}
	sums := make([]string, len(it.Outputs))
	for i, o := range it.Outputs {
		sums[i] = o.SHA256
	}
	detail := "uploader=" + it.Owner
	if reason != "" {
		detail += " reason=" + strconv.Quote(reason)
	}
	s.record(r, ZoneUpload, audit.Event{Action: action, Item: it.ID, Name: it.Name, SHA256In: it.SHA256, SHA256Out: strings.Join(sums, " "), Outcome: decision, Detail: detail})
	if decision == ApprovalApproved {
		s.notifyArrival(r.Context(), it.ID)
	}
	http.Redirect(w, r, "/approvals?done=1", http.StatusSeeOther)
}
