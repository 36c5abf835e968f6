package transfer

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/internal/store"
)

// The administration console: pages on the download site, for role admin
// only, that do what `mugai quarantine`, `mugai audit`, `mugai queue` and
// `mugai users` do at a shell. Anyone else gets 404, as if the pages did
// not exist. Every change is in the audit trail.

// Operations is what the console asks of the relay and the engine; the
// composition root implements it and hands it over in Options.
type Operations interface {
	// Status is the relay's and the engine's state now.
	Status(ctx context.Context) (AdminStatus, error)
	// Release queues a held mail's original for delivery to its
	// recipients unsanitized, recording by in the relay's trail, and
	// returns the queue entry's ID.
	Release(ctx context.Context, id, by string) (string, error)
	// Queue lists the relay's outbox, oldest first.
	Queue(ctx context.Context) ([]QueueEntry, error)
	// QueueAction retries ("retry") or deletes ("delete") an outbox
	// entry, recording by in the relay's trail.
	QueueAction(ctx context.Context, action, id, by string) error
}

// QueueEntry is one outbox entry as the console shows it.
type QueueEntry struct {
	ID, Kind          string
	Created           time.Time
	Rcpts, Pending    int
	Attempts          int
	NextAttempt       time.Time
	Held              bool // waits for an administrator
	LastError, Sender string
}

// AdminStatus is the relay's and the engine's state.
type AdminStatus struct {
	QueueDepth  int       // outbox entries
	QueueOldest time.Time // the oldest entry's acceptance; zero when empty
	Failing     int       // entries whose last attempt failed or that wait for an administrator
	DiskFree    int64     // bytes free in the data folder
	// Scanner says whether a scanner (clamd) is configured; ScannerErr
	// is why it did not answer a ping, "" when it did.
	Scanner    bool
	ScannerErr string
	// Renderer (the PDF renderer, PDFium on wazy), Office
	// (LibreOffice under bubblewrap) and OCR (tesseract under
	// bubblewrap) are the engine's sandboxed parts.
	Renderer, Office, OCR PartStatus
	// PartsChecked is when Office and OCR were last probed: a probe
	// answers for a while, not at each load; zero when not reported.
	PartsChecked time.Time
}

// PartStatus is one part of the engine as the console shows it.
type PartStatus struct {
	State string // PartUp, PartIdle or PartDown; "" when not reported
	Err   string // why it is down
}

// The states of a part.
const (
	PartUp   = "up"
	PartIdle = "idle" // not started yet: it starts with the first item that needs it
	PartDown = "down"
)

// Audited administrator actions.
const (
	actionPurge       = "quarantine-purge"
	actionRelease     = "quarantine-release"
	actionAuditExport = "audit-export"
	actionQueue       = "queue-" // + retry, delete
)

// admin serves h to administrators only (with the CSRF check of a POST);
// anyone else, with or without a session, gets 404.
func (s *Server) admin(post bool, h http.HandlerFunc) http.HandlerFunc {
	inner := s.authed(post, h)
	return func(w http.ResponseWriter, r *http.Request) {
		if sess := session(r); sess == nil || sess.User.Role != auth.RoleAdmin {
			http.NotFound(w, r)
			return
		}
		inner(w, r)
	}
}

// adminRoutes adds the console to the download site.
func (s *Server) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin", s.admin(false, s.adminStatus))
	mux.HandleFunc("GET /admin/quarantine", s.admin(false, s.adminQuarantine))
	mux.HandleFunc("GET /admin/quarantine/{id}", s.admin(false, s.adminHeld))
	mux.HandleFunc("POST /admin/quarantine/{id}", s.admin(true, s.adminDecide))
	mux.HandleFunc("GET /admin/audit", s.admin(false, s.adminAudit))
	mux.HandleFunc("GET /admin/queue", s.admin(false, s.adminQueue))
	mux.HandleFunc("POST /admin/queue/{id}", s.admin(true, s.adminQueueAction))
	mux.HandleFunc("GET /admin/users", s.admin(false, s.adminUsers))
	mux.HandleFunc("POST /admin/users", s.admin(true, s.adminAddUser))
	mux.HandleFunc("POST /admin/users/{name}", s.admin(true, s.adminUser))
}

// adminPage is what the console's templates get besides the layout's.
type adminPage struct {
	Status      AdminStatus
	StatusErr   string
	Held        int
	HeldBy      []reasonCount
	Search      heldSearch
	Found       []foundItem
	Item        *quarantineView
	Events      []audit.Event
	AuditQuery  auditQuery
	CanRelease  bool
	HasRelay    bool
	ExportQuery string
	Queue       []QueueEntry
	Users       []auth.User
}

type reasonCount struct {
	Reason string
	N      int
}

func (s *Server) adminStatus(w http.ResponseWriter, r *http.Request) {
	var a adminPage
	if s.opts.Operations != nil {
		a.HasRelay = true
		st, err := s.opts.Operations.Status(r.Context())
		if err != nil {
			a.StatusErr = err.Error()
		}
		a.Status = st
	}
	held, err := s.q.List(r.Context(), store.Filter{State: store.Held})
	if err != nil {
		s.log.Error("admin status", "err", err)
		s.renderError(w, r, ZoneDownload, http.StatusInternalServerError, words(lang(r))("page.err_internal"))
		return
	}
	a.Held = len(held)
	by := map[string]int{}
	for _, it := range held {
		if by[it.Reason] == 0 {
			a.HeldBy = append(a.HeldBy, reasonCount{Reason: it.Reason})
		}
		by[it.Reason]++
	}
	for i := range a.HeldBy {
		a.HeldBy[i].N = by[a.HeldBy[i].Reason]
	}
	s.render(w, r, ZoneDownload, "admin", page{Admin: &a}, http.StatusOK)
}

// dateRange is a console search's first and last day (「この日から」
// 「この日まで」): local dates, 2006-01-02, each kept only when valid.
type dateRange struct{ From, To string }

func parseDateRange(v url.Values) dateRange {
	valid := func(s string) string {
		if _, err := time.ParseInLocation(time.DateOnly, s, time.Local); err != nil {
			return ""
		}
		return s
	}
	return dateRange{From: valid(v.Get("from")), To: valid(v.Get("to"))}
}

// bounds are the instants the range starts and ends (the day after its
// last day), zero where it is open.
func (d dateRange) bounds() (since, until time.Time) {
	if t, err := time.ParseInLocation(time.DateOnly, d.From, time.Local); err == nil {
		since = t
	}
	if t, err := time.ParseInLocation(time.DateOnly, d.To, time.Local); err == nil {
		until = t.AddDate(0, 0, 1)
	}
	return since, until
}

// recordFirst writes an administrator's action to the audit trail before
// it is done: an action that is not recorded does not happen.
func (s *Server) recordFirst(r *http.Request, e audit.Event) error {
	e.Zone, e.IP, e.User = ZoneDownload, clientIP(r), session(r).User.Name
	if err := s.audit.Record(r.Context(), e); err != nil {
		return err
	}
	return nil
}
