package transfer

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mugai-project/mugai/internal/audit"
)

// auditQuery is the audit trail's search, from the page's query string.
type auditQuery struct {
	User, Action string
	dateRange
}

func parseAuditQuery(v url.Values) auditQuery {
	return auditQuery{User: strings.TrimSpace(v.Get("user")), Action: strings.TrimSpace(v.Get("action")), dateRange: parseDateRange(v)}
}

// filter is the audit trail's filter; without a first day the page
// shows the seven days up to the last day, or up to now.
func (q auditQuery) filter(now time.Time) audit.Filter {
	f := audit.Filter{User: q.User, Action: q.Action}
	if f.Since, f.Until = q.bounds(); q.From == "" {
		end := now
		if !f.Until.IsZero() {
			end = f.Until
		}
		f.Since = end.AddDate(0, 0, -7)
	}
	return f
}

func (q auditQuery) values() string {
	v := url.Values{}
	for k, s := range map[string]string{"user": q.User, "action": q.Action, "from": q.From, "to": q.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v.Encode()
}

// maxEvents bounds the rows the page shows; the export has them all.
const maxEvents = 500

// adminAudit shows the audit trail, newest first, or with format=csv
// exports it as `mugai audit export` does (CSV in UTF-8 with a BOM); an
// export is itself recorded.
func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request) {
	q := parseAuditQuery(r.URL.Query())
	f := q.filter(s.opts.Now())
	if r.URL.Query().Get("format") == "csv" {
		if err := s.recordFirst(r, audit.Event{Action: actionAuditExport, Outcome: "ok", Detail: q.values()}); err != nil {
			s.log.Error("admin audit", "err", err)
			s.renderError(w, r, ZoneDownload, http.StatusInternalServerError, words(lang(r))("page.err_internal"))
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", contentDisposition("audit-"+s.opts.Now().Format("20060102-150405")+".csv"))
		if err := s.audit.Export(r.Context(), w, f, "csv"); err != nil {
			s.log.Error("audit export", "err", err)
		}
		return
	}
	evs, err := s.audit.Events(r.Context(), f)
	if err != nil {
		s.log.Error("admin audit", "err", err)
		s.renderError(w, r, ZoneDownload, http.StatusInternalServerError, words(lang(r))("page.err_internal"))
		return
	}
	a := &adminPage{AuditQuery: q, ExportQuery: q.values()}
	for i := len(evs) - 1; i >= 0 && len(a.Events) < maxEvents; i-- {
		a.Events = append(a.Events, evs[i])
	}
	s.render(w, r, ZoneDownload, "admin_audit", page{Admin: a}, http.StatusOK)
}
