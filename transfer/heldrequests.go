package transfer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/internal/held"
	"github.com/mugai-project/mugai/internal/ids"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/store"
)

// heldSchema keeps the wrong-password count of each held mail for each
// of its recipients and the requests for originals (原本取り出し申請).
const heldSchema = `
CREATE TABLE IF NOT EXISTS held_password_tries (
	item TEXT NOT NULL,
	rcpt TEXT NOT NULL,
	failures INTEGER NOT NULL,
	PRIMARY KEY (item, rcpt)
);
CREATE TABLE IF NOT EXISTS held_requests (
	id TEXT PRIMARY KEY,
	item TEXT NOT NULL,
	requester TEXT NOT NULL,
	rcpt TEXT NOT NULL,
	reason TEXT NOT NULL,
	state TEXT NOT NULL,
	approver TEXT NOT NULL DEFAULT '',
	comment TEXT NOT NULL DEFAULT '',
	created {time},
	decided {maybetime}
);
CREATE INDEX IF NOT EXISTS held_requests_item ON held_requests(item, requester);
CREATE INDEX IF NOT EXISTS held_requests_state ON held_requests(state, created);
`

// Request states.
const (
	requestPending  = "pending"
	requestApproved = "approved"
	requestRejected = "rejected"
)

// heldRequest is one request for an original.
type heldRequest struct {
	ID, Item, Requester, Rcpt, Reason, State, Approver, Comment string
	Created, Decided                                            time.Time
}

// heldFailures is the count of wrong passwords rcpt typed for item: each
// recipient has tries of their own, so that one cannot use up another's.
// A row of rcpt "" is a count kept before the tries were per recipient,
// and counts for each.
func (s *Server) heldFailures(ctx context.Context, item, rcpt string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(sum(failures), 0) FROM held_password_tries WHERE item = ? AND rcpt IN (?, '')`,
		item, strings.ToLower(rcpt)).Scan(&n)
	return n, err
}

func (s *Server) addHeldFailure(ctx context.Context, item, rcpt string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO held_password_tries (item, rcpt, failures) VALUES (?, ?, 1)
		ON CONFLICT(item, rcpt) DO UPDATE SET failures = failures + 1`, item, strings.ToLower(rcpt))
	return err
}

// heldTriesPerRecipient moves the counts of held_tries, one per item
// from before the tries were per recipient, into held_password_tries as
// rows of rcpt "", which count for every recipient. It can run again:
// it makes an empty held_tries to read when there is none. (WHERE true:
// SQLite reads an upsert after a bare SELECT's FROM as a join.)
const heldTriesPerRecipient = `
CREATE TABLE IF NOT EXISTS held_tries (
	item TEXT PRIMARY KEY,
	failures INTEGER NOT NULL
);
INSERT INTO held_password_tries (item, rcpt, failures) SELECT item, '', failures FROM held_tries WHERE true ON CONFLICT DO NOTHING;
DROP TABLE held_tries;
`

const requestColumns = `id, item, requester, rcpt, reason, state, approver, comment, created, decided`

func scanRequest(sc interface{ Scan(...any) error }) (*heldRequest, error) {
	var q heldRequest
	var created string
	if err := sc.Scan(&q.ID, &q.Item, &q.Requester, &q.Rcpt, &q.Reason, &q.State, &q.Approver, &q.Comment, &created, meta.ScanTime(&q.Decided)); err != nil {
		return nil, err
	}
	q.Created = parseTS(created)
	return &q, nil
}

// latestRequest is user's last request for item, nil if none.
func (s *Server) latestRequest(ctx context.Context, item, user string) (*heldRequest, error) {
	q, err := scanRequest(s.db.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM held_requests
		WHERE item = ? AND requester = ? ORDER BY created DESC LIMIT 1`, item, user))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return q, err
}

// HasOpenRequest reports whether a request for the original of the held
// item id waits for its approver: the retention sweep keeps such an
// original until the request is decided.
func (s *Server) HasOpenRequest(ctx context.Context, id string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM held_requests WHERE item = ? AND state = ?`, id, requestPending).Scan(&n)
	return n > 0, err
}

func (s *Server) request(ctx context.Context, id string) (*heldRequest, error) {
	return scanRequest(s.db.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM held_requests WHERE id = ?`, id))
}

// requestOriginal records a recipient's request for the original with a
// reason and tells the approvers.
func (s *Server) requestOriginal(w http.ResponseWriter, r *http.Request) {
	t := words(lang(r))
	v, rc, ok := s.heldItem(r)
	if rc != nil {
		rc.Close()
	}
	if !ok || v.Rcpt == "" {
		s.renderError(w, r, ZoneDownload, http.StatusNotFound, t("held.page.not_found"))
		return
	}
	ctx := r.Context()
	user := session(r).User.Name
	if err := s.fillHeld(ctx, v, nil, user, lang(r)); err != nil {
		s.log.Error("held request", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	switch {
	case v.Purged:
		s.showHeld(w, r, http.StatusGone, t("held.page.purged"), "")
		return
	case v.NoRelease:
		s.record(r, ZoneDownload, audit.Event{Action: audit.HeldRequest, Item: v.Item.ID, Outcome: "forbidden"})
		s.showHeld(w, r, http.StatusForbidden, t("held.page.never_released"), "")
		return
	case v.Request != nil && v.Request.State == requestPending:
		s.showHeld(w, r, http.StatusConflict, t("held.page.request_pending"), "")
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		s.showHeld(w, r, http.StatusBadRequest, t("held.page.reason_required"), "")
		return
	}
	reason = held.Clean(reason)
	q := heldRequest{ID: ids.New(s.opts.Now()), Item: v.Item.ID, Requester: user, Rcpt: v.Rcpt, Reason: reason, State: requestPending, Created: s.opts.Now()}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO held_requests (id, item, requester, rcpt, reason, state, created) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		q.ID, q.Item, q.Requester, q.Rcpt, q.Reason, q.State, s.db.Stamp(q.Created)); err != nil {
		s.log.Error("held request", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.record(r, ZoneDownload, audit.Event{Action: audit.HeldRequest, Item: v.Item.ID, SHA256In: v.Item.SHA256, Outcome: "pending", Detail: "request " + q.ID + ": " + reason})
	s.notifyApprovers(r, &q)
	s.showHeld(w, r, http.StatusOK, "", t("held.page.requested"))
}

// notifyApprovers mails every approver but the requester that a request
// waits. A mail that cannot be queued is logged and audited; the
// request stands.
func (s *Server) notifyApprovers(r *http.Request, q *heldRequest) {
	users, err := s.users.Users(r.Context())
	if err != nil {
		s.log.Error("held request: listing approvers", "err", err)
		return
	}
	link := strings.TrimSuffix(s.opts.DownloadURL, "/") + "/held-requests"
	for _, u := range users {
		if !u.Role.CanApprove() || u.Disabled || u.Name == q.Requester {
			continue
		}
		to := addressOf(u, q.Rcpt)
		err := s.opts.Mailer.Send(r.Context(), q.ID+"-n-"+shortHash(u.Name), []string{to}, s.noticeMail(to, q.Item, "held.mail.request_subject", "held.mail.request_body", q.Requester, link))
		s.notified(r, q, to, err)
	}
}

// notified audits a notification and logs one that could not be queued.
func (s *Server) notified(r *http.Request, q *heldRequest, to string, err error) {
	e := audit.Event{Action: audit.HeldNotify, Item: q.Item, Outcome: "queued", Detail: "request " + q.ID + " to " + to}
	if err != nil {
		s.log.Error("held request: notification not queued", "to", to, "err", err)
		e.Outcome = "failed"
	}
	s.record(r, ZoneDownload, e)
}

// addressOf is where mugai's notifications to u go: the user's mail
// address; without one, the login name if it is an address, else the
// name at the domain of like (a recipient address of the same
// municipality).
func addressOf(u auth.User, like string) string {
	switch {
	case u.Mail != "":
		return u.Mail
	case strings.Contains(u.Name, "@"):
		return u.Name
	}
	_, dom, _ := strings.Cut(like, "@")
	return u.Name + "@" + dom
}

// heldRequestRow is one pending request on the approver's page.
type heldRequestRow struct {
	Request *heldRequest
	View    *heldView
}

func (s *Server) heldRequestsPage(w http.ResponseWriter, r *http.Request) {
	s.renderHeldRequests(w, r, http.StatusOK, "", "")
}

func (s *Server) renderHeldRequests(w http.ResponseWriter, r *http.Request, status int, errMsg, notice string) {
	sess := session(r)
	if !sess.User.Role.CanApprove() {
		s.renderError(w, r, ZoneDownload, http.StatusForbidden, words(lang(r))("page.err_forbidden"))
		return
	}
	rows, err := s.db.QueryContext(r.Context(), `SELECT `+requestColumns+` FROM held_requests WHERE state = ? ORDER BY created`, requestPending)
	if err != nil {
		s.log.Error("held requests", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var reqs []*heldRequest
	for rows.Next() {
		q, err := scanRequest(rows)
		if err == nil {
			reqs = append(reqs, q)
		}
	}
	rows.Close()
	var out []heldRequestRow
	for _, q := range reqs {
		it, rc, err := s.q.Get(r.Context(), q.Item)
		if err != nil && !errors.Is(err, store.ErrPurged) {
			continue
		}
		v := &heldView{Item: it, From: it.Meta["from"], Date: it.Created, Purged: rc == nil}
		if err := s.fillHeld(r.Context(), v, rc, "", lang(r)); err != nil {
			s.log.Error("held requests", "item_id", q.Item, "err", err)
		}
		if rc != nil {
			rc.Close()
		}
		out = append(out, heldRequestRow{Request: q, View: v})
	}
	s.render(w, r, ZoneDownload, "heldrequests", page{HeldRequests: out, Error: errMsg, Notice: notice}, status)
}

// decideRequest approves or rejects a request. The requester cannot
// decide their own; a rejection needs a comment. On approval the
// original goes to the requester alone.
func (s *Server) decideRequest(w http.ResponseWriter, r *http.Request) {
	t := words(lang(r))
	sess := session(r)
	if !sess.User.Role.CanApprove() {
		s.renderError(w, r, ZoneDownload, http.StatusForbidden, t("page.err_forbidden"))
		return
	}
	ctx := r.Context()
	q, err := s.request(ctx, r.PathValue("id"))
	if err != nil || q.State != requestPending {
		s.renderError(w, r, ZoneDownload, http.StatusNotFound, t("held.page.not_found"))
		return
	}
	approver := sess.User.Name
	if q.Requester == approver {
		s.record(r, ZoneDownload, audit.Event{Action: audit.HeldApprove, Item: q.Item, Outcome: "self-approval-refused", Detail: "request " + q.ID})
		s.renderHeldRequests(w, r, http.StatusForbidden, t("held.page.self_approval"), "")
		return
	}
	comment := held.Clean(strings.TrimSpace(r.PostFormValue("comment")))
	decision := r.PostFormValue("decision")
	switch decision {
	case "approve":
		s.approveRequest(w, r, q, approver, comment)
	case "reject":
		if comment == "" {
			s.renderHeldRequests(w, r, http.StatusBadRequest, t("held.page.comment_required"), "")
			return
		}
		if err := s.setDecision(ctx, q, requestRejected, approver, comment); err != nil {
			s.renderHeldRequests(w, r, http.StatusConflict, t("held.page.not_found"), "")
			return
		}
		s.record(r, ZoneDownload, audit.Event{Action: audit.HeldReject, Item: q.Item, Outcome: "rejected", Detail: "request " + q.ID + ": " + comment})
		s.notifyRequester(r, q, "held.mail.rejected_body", comment)
		s.renderHeldRequests(w, r, http.StatusOK, "", t("held.page.rejected_done"))
	default:
		s.renderHeldRequests(w, r, http.StatusBadRequest, t("page.err_decision"), "")
	}
}

func (s *Server) approveRequest(w http.ResponseWriter, r *http.Request, q *heldRequest, approver, comment string) {
	t := words(lang(r))
	ctx := r.Context()
	it, rc, err := s.q.Get(ctx, q.Item)
	if errors.Is(err, store.ErrPurged) {
		s.renderHeldRequests(w, r, http.StatusGone, t("held.page.purged"), "")
		return
	}
	if err != nil {
		s.log.Error("held approve", "item_id", q.Item, "err", err)
		s.renderHeldRequests(w, r, http.StatusInternalServerError, t("held.page.release_failed"), "")
		return
	}
	defer rc.Close()
	v := &heldView{Item: it}
	if err := s.fillHeld(ctx, v, nil, "", lang(r)); err != nil {
		s.log.Error("held approve", "item_id", q.Item, "err", err)
		s.renderHeldRequests(w, r, http.StatusInternalServerError, t("held.page.release_failed"), "")
		return
	}
	if v.NoRelease {
		s.record(r, ZoneDownload, audit.Event{Action: audit.HeldApprove, Item: q.Item, Outcome: "forbidden", Detail: "request " + q.ID})
		s.renderHeldRequests(w, r, http.StatusForbidden, t("held.page.never_released"), "")
		return
	}
	// The decision is recorded before the original is queued: a release
	// that is not recorded does not happen.
	if err := s.setDecision(ctx, q, requestApproved, approver, comment); err != nil {
		s.renderHeldRequests(w, r, http.StatusConflict, t("held.page.not_found"), "")
		return
	}
	s.record(r, ZoneDownload, audit.Event{Action: audit.HeldApprove, Item: q.Item, SHA256In: it.SHA256, Outcome: "approved", Detail: "request " + q.ID + " to " + q.Rcpt + ": " + comment})
	if err := s.opts.Mailer.Send(ctx, q.ID+"-release", []string{q.Rcpt}, releasedMail(approver, q.ID, rc)); err != nil {
		s.log.Error("held approve: queueing the original", "item_id", q.Item, "err", err)
		s.record(r, ZoneDownload, audit.Event{Action: audit.HeldRelease, Item: q.Item, Outcome: "failed", Detail: "request " + q.ID})
		s.renderHeldRequests(w, r, http.StatusInternalServerError, t("held.page.release_failed"), "")
		return
	}
	s.record(r, ZoneDownload, audit.Event{Action: audit.HeldRelease, Item: q.Item, SHA256Out: it.SHA256, Outcome: "queued", Detail: fmt.Sprintf("request %s to %s", q.ID, q.Rcpt)})
	if err := s.q.SetState(ctx, q.Item, store.Released, approver); err != nil {
		s.log.Error("held approve: marking released", "item_id", q.Item, "err", err)
	}
	s.notifyRequester(r, q, "held.mail.approved_body", comment)
	s.renderHeldRequests(w, r, http.StatusOK, "", t("held.page.approved_done", q.Rcpt))
}

// setDecision moves a pending request to its decision; a request
// decided meanwhile by another approver is an error.
func (s *Server) setDecision(ctx context.Context, q *heldRequest, state, approver, comment string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE held_requests SET state = ?, approver = ?, comment = ?, decided = ? WHERE id = ? AND state = ?`,
		state, approver, comment, s.db.Stamp(s.opts.Now()), q.ID, requestPending)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errors.New("transfer: the request was decided already")
	}
	q.State, q.Approver, q.Comment = state, approver, comment
	return nil
}

// notifyRequester mails the requester the decision, with the link to
// the item's page.
func (s *Server) notifyRequester(r *http.Request, q *heldRequest, bodyKey, comment string) {
	err := s.opts.Mailer.Send(r.Context(), q.ID+"-d", []string{q.Rcpt},
		s.noticeMail(q.Rcpt, q.Item, "held.mail.decided_subject", bodyKey, q.Approver, comment, s.opts.Held.URL(q.Item)))
	s.notified(r, q, q.Rcpt, err)
}
