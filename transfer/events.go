package transfer

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// The event stream's timing: after a change it waits streamSettle for
// the changes that come with it (a file's state, report and audit are
// written one after another) and reads the list once; a comment line
// every streamPing (which also checks that the session is still live);
// an end after streamMax, so that an open page does not keep its session
// alive for ever (the page then offers to reload).
const (
	streamSettle = 100 * time.Millisecond
	streamPing   = 20 * time.Second
	streamMax    = 10 * time.Minute
)

// hub wakes the event streams when an item changes, and ends them when
// the sites shut down. Its zero value is ready to use.
type hub struct {
	mu     sync.Mutex
	change chan struct{} // closed at the next change
	done   chan struct{} // closed at shutdown
}

// changed returns a channel closed at the next notify.
func (h *hub) changed() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.change == nil {
		h.change = make(chan struct{})
	}
	return h.change
}

// notify wakes every stream waiting on changed.
func (h *hub) notify() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.change != nil {
		close(h.change)
		h.change = nil
	}
}

// closing returns a channel closed once the sites shut down.
func (h *hub) closing() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done == nil {
		h.done = make(chan struct{})
	}
	return h.done
}

// close ends every stream; http.Server.Shutdown calls it (RegisterOnShutdown),
// so that it does not wait for streams that never go idle.
func (h *hub) close() {
	done := h.closing()
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-done:
	default:
		close(h.done)
	}
}

// listEvent is one "list" event: the rows that changed since the last
// event, rendered as the page renders them, and the order of every row
// of the list now.
type listEvent struct {
	Rows  []rowEvent `json:"rows"`
	Order []string   `json:"order"`
	Count string     `json:"count"`
}

type rowEvent struct {
	ID   string `json:"id"`
	Sig  string `json:"sig"`
	HTML string `json:"html"`
}

// events is a site's live list: a text/event-stream (HTML Living
// Standard, section 9.2 "Server-sent events") that follows the same
// search as the page that opens it (its query string) and sends a
// "list" event whenever a row of it changes, appears or leaves. It needs
// the session, as every page does, and refuses a cross-site request
// (Fetch Metadata); it changes nothing, so it carries no CSRF token. It
// sends "end" and closes at shutdown, when the session ends and after
// streamMax; the page then shows its reload link.
func (s *Server) events(zone string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if sfs := r.Header.Get("Sec-Fetch-Site"); sfs != "" && sfs != "same-origin" {
			http.Error(w, "cross-origin request refused", http.StatusForbidden)
			return
		}
		sess, l, ctx := session(r), lang(r), r.Context()
		cookie, err := r.Cookie(cookieName(zone))
		if err != nil {
			http.Error(w, "login required", http.StatusUnauthorized)
			return
		}
		q := parseHistoryQuery(zone, r.URL.Query())
		rc := http.NewResponseController(w)
		h := w.Header()
		h.Set("Content-Type", "text/event-stream; charset=utf-8")
		h.Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		send := func(event, data string) bool {
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data); err != nil {
				return false
			}
			return rc.Flush() == nil
		}
		fmt.Fprint(w, "retry: 5000\n\n")
		end := time.NewTimer(streamMax)
		defer end.Stop()
		ping := time.NewTicker(streamPing)
		defer ping.Stop()
		// idle waits for the next change; false ends the stream.
		idle := func(wake <-chan struct{}) bool {
			for {
				select {
				case <-ctx.Done():
					return false
				case <-s.hub.closing():
					send("end", "shutdown")
					return false
				case <-end.C:
					send("end", "timeout")
					return false
				case <-ping.C:
					if _, err := s.users.Session(ctx, cookie.Value, zone); err != nil {
						send("end", "session")
						return false
					}
					if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
						return false
					}
				case <-wake:
					select {
					case <-ctx.Done():
						return false
					case <-time.After(streamSettle):
						return true
					}
				}
			}
		}
		sent := map[string]string{} // row ID → sig
		var lastOrder, lastCount string
		for {
			wake := s.hub.changed()
			hl, err := s.list(ctx, zone, sess, l, q)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Error("event stream", "zone", zone, "err", err)
				}
				return
			}
			ev := listEvent{Order: make([]string, 0, len(hl.Items)), Count: hl.Count}
			seen := map[string]bool{}
			for _, li := range hl.Items {
				ev.Order = append(ev.Order, li.ID)
				seen[li.ID] = true
				if sent[li.ID] == li.Sig {
					continue
				}
				html, err := s.renderRow(l, zone, li)
				if err != nil {
					s.log.Error("event stream", "zone", zone, "err", err)
					return
				}
				ev.Rows = append(ev.Rows, rowEvent{ID: li.ID, Sig: li.Sig, HTML: html})
				sent[li.ID] = li.Sig
			}
			for id := range sent {
				if !seen[id] {
					delete(sent, id)
				}
			}
			order, _ := json.Marshal(ev.Order)
			if len(ev.Rows) > 0 || string(order) != lastOrder || ev.Count != lastCount {
				b, _ := json.Marshal(ev)
				if !send("list", string(b)) {
					return
				}
				lastOrder, lastCount = string(order), ev.Count
			}
			if !idle(wake) {
				return
			}
		}
	}
}
