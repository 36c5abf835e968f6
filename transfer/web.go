package transfer

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/internal/catalog"
	"github.com/mugai-project/mugai/internal/ids"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageCSP is the Content-Security-Policy of every page: only mugai's own
// script, style and images, no inline script, no framing.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// fileCSP is the policy of a downloaded file: nothing at all runs.
const fileCSP = "default-src 'none'; sandbox"

// parseTemplates parses every page once per catalog language, keyed
// "lang/page"; in a page {{t KEY ARGS...}} and {{n KEY COUNT ARGS...}}
// (plural forms) give the catalog's words in that language, {{others}}
// the other languages and {{langName CODE}} a language's own name.
func parseTemplates() (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, l := range catalog.Languages() {
		funcs := template.FuncMap{
			"size":     humanSize,
			"date":     func(t time.Time) string { return t.Local().Format("2006-01-02 15:04") },
			"t":        words(l),
			"n":        func(key string, n int, args ...any) string { return catalog.N(l, key, n, args...) },
			"others":   func() []string { return slices.DeleteFunc(catalog.Languages(), func(c string) bool { return c == l }) },
			"langName": func(code string) string { return catalog.Text(code, "language.name") },
		}
		for _, page := range []string{"login", "upload", "approvals", "download", "message", "held", "heldrequests", "admin", "admin_quarantine", "admin_item", "admin_audit", "admin_queue", "admin_users"} {
			files := []string{"templates/layout.html", "templates/history.html", "templates/" + page + ".html"}
			if strings.HasPrefix(page, "admin") {
				files = append(files, "templates/admin_parts.html")
			}
			t, err := template.New(page).Funcs(funcs).ParseFS(templateFS, files...)
			if err != nil {
				return nil, err
			}
			out[l+"/"+page] = t
		}
	}
	return out, nil
}

// ctxKey keys the session in a request's context.
type ctxKey struct{}

// page is what every template gets.
type page struct {
	Zone      string
	Lang      string
	Session   *auth.Session
	CSRF      string
	Error     string
	Notice    string
	Approval  bool
	MaxFiles  int
	MaxBytes  int64
	Items     []*Item
	List      *historyList
	Approvals []approvalRow
	// Recipients are the names the upload page offers as 宛先.
	Recipients []string
	// HeldPages: the download site has held mail items' pages. Held is
	// one of them; HeldRequests the approver's list.
	HeldPages    bool
	Held         *heldView
	HeldRequests []heldRequestRow
	Admin        *adminPage // the administration console's pages
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, zone, name string, p page, status int) {
	p.Zone, p.Lang = zone, lang(r)
	p.Approval, p.MaxFiles, p.MaxBytes = s.opts.Approval, s.opts.MaxFiles, s.opts.MaxUploadBytes
	p.HeldPages = s.opts.Held != nil
	if sess := session(r); sess != nil {
		p.Session, p.CSRF = sess, sess.CSRF
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := s.tmpl[p.Lang+"/"+name].ExecuteTemplate(w, "layout", p); err != nil {
		s.log.Warn("rendering", "page", name, "err", err)
	}
}

// renderError answers a form's button with the site's layout and the
// message, never a bare text page.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, zone string, status int, msg string) {
	s.render(w, r, zone, "message", page{Error: msg}, status)
}

// lang is the page language: the lang cookie when the catalog has that
// language, else Japanese.
func lang(r *http.Request) string {
	if c, err := r.Cookie("mugai_lang"); err == nil && catalog.Supported(c.Value) {
		return c.Value
	}
	return catalog.Japanese
}

func session(r *http.Request) *auth.Session {
	s, _ := r.Context().Value(ctxKey{}).(*auth.Session)
	return s
}

func cookieName(zone string) string { return "mugai_" + zone }

// secure wraps every response of a site: security headers, the session,
// and the Origin and CSRF checks on POST.
func (s *Server) secure(zone string, mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if !s.opts.PlainHTTP {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
			http.Error(w, "cross-origin request refused", http.StatusForbidden)
			return
		}
		if c, err := r.Cookie(cookieName(zone)); err == nil {
			if sess, err := s.users.Session(r.Context(), c.Value, zone); err == nil {
				r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, &sess))
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// sameOrigin reports whether a state-changing request comes from this
// site. Fetch Metadata's Sec-Fetch-Site decides when the browser sends
// it; otherwise the Origin (RFC 6454 section 7) must name this host.
// Requests with neither (older clients, scripts) are left to the CSRF
// token check.
func sameOrigin(r *http.Request) bool {
	if sfs := r.Header.Get("Sec-Fetch-Site"); sfs != "" {
		return sfs == "same-origin" || sfs == "none"
	}
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// authed requires a session; with post it also requires the CSRF token,
// from the X-CSRF-Token header or the csrf form field. A page's form
// refused for a missing session or token gets the login page or the
// layout with the message; a script's request (the header, a multipart
// upload, /api/) gets a bare status.
func (s *Server) authed(post bool, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess := session(r)
		script := r.Header.Get("X-CSRF-Token") != "" || strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") || strings.HasPrefix(r.URL.Path, "/api/")
		if sess == nil {
			if script {
				http.Error(w, "login required", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if post {
			tok := r.Header.Get("X-CSRF-Token")
			if tok == "" && !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
				r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
				tok = r.PostFormValue("csrf")
			}
			if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(sess.CSRF)) != 1 {
				if script {
					http.Error(w, "invalid or missing CSRF token", http.StatusForbidden)
				} else {
					s.renderError(w, r, sess.Zone, http.StatusForbidden, words(lang(r))("page.err_csrf"))
				}
				return
			}
		}
		h(w, r)
	}
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// loginCSRFCookie carries the token of the login form (double submit:
// there is no session yet). Cookies do not tell ports apart, so each
// site has its own.
func loginCSRFCookie(zone string) string { return "mugai_login_" + zone }

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: !s.opts.PlainHTTP, SameSite: http.SameSiteStrictMode,
	})
}

func (s *Server) loginPage(zone string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if session(r) != nil {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		s.renderLogin(w, r, zone, "", http.StatusOK)
	}
}

// renderLogin shows the login form with a fresh token and the message
// msg, if any.
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, zone, msg string, status int) {
	tok := ids.Token()
	s.setCookie(w, loginCSRFCookie(zone), tok, 3600)
	s.render(w, r, zone, "login", page{CSRF: tok, Error: msg}, status)
}

func (s *Server) login(zone string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		c, err := r.Cookie(loginCSRFCookie(zone))
		tok := r.PostFormValue("csrf")
		t := words(lang(r))
		if err != nil || tok == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(tok)) != 1 {
			// A form left open past its token's life, or a forged post.
			s.renderLogin(w, r, zone, t("page.err_login_expired"), http.StatusForbidden)
			return
		}
		ip := clientIP(r)
		if !s.limiter.Allow(ip) {
			s.record(r, zone, audit.Event{Action: audit.LoginFailed, User: r.PostFormValue("user"), Outcome: "rate-limited"})
			w.Header().Set("Retry-After", "60")
			s.renderLogin(w, r, zone, t("page.err_rate"), http.StatusTooManyRequests)
			return
		}
		name := r.PostFormValue("user")
		u, err := s.users.AuthenticateFrom(r.Context(), name, r.PostFormValue("password"), ip)
		if err != nil {
			if len(name) > 64 {
				name = name[:64]
			}
			msg, outcome := t("page.err_login"), "bad-credentials"
			var locked *auth.LockedError
			switch {
			case errors.As(err, &locked):
				msg, outcome = t("page.err_locked", locked.Until.Local().Format("15:04")), "locked"
			case errors.Is(err, auth.ErrDisabled):
				outcome = "disabled"
			case !errors.Is(err, auth.ErrBadCredentials):
				s.log.Error("login", "err", err)
				outcome = "error"
			}
			s.record(r, zone, audit.Event{Action: audit.LoginFailed, User: name, Outcome: outcome})
			if errors.Is(err, auth.ErrAlarm) {
				s.loginAlarm(r, zone, name)
			}
			s.renderLogin(w, r, zone, msg, http.StatusUnauthorized)
			return
		}
		// A new session on every login: no session fixation.
		if old, err := r.Cookie(cookieName(zone)); err == nil {
			s.users.EndSession(r.Context(), old.Value)
		}
		stok, _, err := s.users.NewSession(r.Context(), u.Name, zone, ip)
		if err != nil {
			s.log.Error("session", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		s.setCookie(w, cookieName(zone), stok, 0)
		s.setCookie(w, loginCSRFCookie(zone), "", -1)
		s.record(r, zone, audit.Event{Action: audit.Login, User: u.Name, Outcome: "ok"})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}
}

// loginAlarm tells the administrators that an account has had many
// failed logins in a row, from any addresses: an audit entry and a log
// line. The account itself stays open to its owner.
func (s *Server) loginAlarm(r *http.Request, zone, name string) {
	u, _ := s.users.User(r.Context(), name)
	s.log.Warn("repeated failed logins for one account", "user", name, "failures", u.Failures, "last_ip", clientIP(r))
	s.record(r, zone, audit.Event{Action: audit.LoginAlarm, User: name, Outcome: "alarm", Detail: fmt.Sprintf("failures=%d", u.Failures)})
}

func (s *Server) logout(zone string) http.HandlerFunc {
	return s.authed(true, func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(cookieName(zone)); err == nil {
			s.users.EndSession(r.Context(), c.Value)
		}
		s.setCookie(w, cookieName(zone), "", -1)
		s.record(r, zone, audit.Event{Action: audit.Logout, User: session(r).User.Name})
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	})
}

// setLang switches the language (a cookie, not a session change).
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	l := r.URL.Query().Get("to")
	if !catalog.Supported(l) {
		l = catalog.Japanese
	}
	http.SetCookie(w, &http.Cookie{Name: "mugai_lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, Secure: !s.opts.PlainHTTP, SameSite: http.SameSiteStrictMode})
	back := "/"
	if ref, err := url.Parse(r.Header.Get("Referer")); err == nil && ref.Host == r.Host && strings.HasPrefix(ref.Path, "/") && !strings.HasPrefix(ref.Path, "//") {
		back = ref.Path
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// record writes an audit event with the request's zone and address.
func (s *Server) record(r *http.Request, zone string, e audit.Event) {
	e.Zone, e.IP = zone, clientIP(r)
	s.metrics.count(e)
	if e.Item != "" {
		defer s.hub.notify() // the item's row changes
	}
	if e.User == "" {
		if sess := session(r); sess != nil {
			e.User = sess.User.Name
		}
	}
	if err := s.audit.Record(r.Context(), e); err != nil {
		s.log.Error("audit", "err", err)
	}
}

func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	fsrv := http.FileServerFS(sub)
	return http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "private, max-age=3600")
		fsrv.ServeHTTP(w, r)
	}))
}

// commonRoutes are the login, logout, language and static routes both
// sites share.
func (s *Server) commonRoutes(zone string) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", s.loginPage(zone))
	mux.HandleFunc("POST /login", s.login(zone))
	mux.HandleFunc("POST /logout", s.logout(zone))
	mux.HandleFunc("GET /lang", s.setLang)
	mux.Handle("GET /static/", staticHandler())
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
