package smtpproxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mugai-project/mugai/internal/ids"
)

// Replies. The text is safe to show to any client; causes go to the log.
var (
	errOurFault = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Local error, message not accepted, try again later"}
	errDiskFull = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "Insufficient system storage, try again later"}
	errRelay    = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Relaying denied: recipient domain not served here"}
	errRouted   = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Recipient local part must not route elsewhere (@, % or !)"}
	errBadAddr  = &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Bad recipient address syntax"}
	errBadFrom  = &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 1, 7}, Message: "Bad sender address syntax"}
	errBareEOL  = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message refused: bare CR or LF (RFC 5321 2.3.8)"}
	errTooMany  = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 5, 3}, Message: "Too many recipients"}
	errTooBig   = &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message size exceeds the limit"}
	errLineLong = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message refused: line too long"}
	errShutdown = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Service shutting down, try again later"}
	errNoFrom   = &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "MAIL first"}
)

// session is one SMTP connection's state (go-smtp calls it after EHLO).
type session struct {
	r    *Relay
	conn *smtp.Conn
	wire *limitConn // the connection below go-smtp (wirewatch.go)
	log  *slog.Logger

	from     string
	fromSet  bool
	utf8     bool
	rcpts    []string
	declared int64
}

var _ smtp.Session = (*session)(nil)

func (r *Relay) newSession(c *smtp.Conn) (smtp.Session, error) {
	if r.closing.Load() {
		return nil, errShutdown
	}
	return &session{r: r, conn: c, wire: wireOf(c.Conn()), log: r.log.With("client", c.Conn().RemoteAddr().String(), "helo", c.Hostname())}, nil
}

func (s *session) reject(reason string) { s.r.opts.Metrics.Rejected.WithLabelValues(reason).Inc() }

func (s *session) Reset() {
	s.from, s.fromSet, s.utf8, s.rcpts, s.declared = "", false, false, nil, 0
}

func (s *session) Logout() error { return nil }

// Mail implements RFC 5321 4.1.1.2.
func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	s.wire.advanced()
	if s.r.closing.Load() {
		return errShutdown
	}
	if !s.r.spoolHasRoom() {
		s.reject("disk-full")
		s.log.Warn("smtp: refusing mail: the spool's free space is under the reserve", "min_free", s.r.opts.MinFree)
		return errDiskFull
	}
	if s.r.backlogged() {
		s.reject("backlog")
		s.log.Warn("smtp: refusing mail: too many sanitize jobs waiting", "max_pending", s.r.opts.MaxPending)
		return errBacklog
	}
	if from != "" {
		if _, err := mail.ParseAddress("<" + from + ">"); err != nil && !strings.Contains(from, "@") {
			s.reject("bad-sender")
			return errBadFrom
		}
	}
	s.Reset()
	if opts != nil {
		if opts.Size > s.r.opts.MaxMessageBytes {
			s.reject("too-large")
			return errTooBig
		}
		s.declared = opts.Size
		s.utf8 = opts.UTF8
	}
	s.from, s.fromSet = from, true
	return nil
}

// Rcpt implements RFC 5321 4.1.1.3: only the LGWAN domains, and only
// local parts that end there (addr.go).
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.wire.advanced()
	if !s.fromSet {
		return errNoFrom
	}
	if len(s.rcpts) >= s.r.opts.MaxRecipients {
		s.reject("too-many-recipients")
		return errTooMany
	}
	local, dom, ok := splitRcpt(to)
	if !ok {
		s.reject("bad-recipient")
		return errBadAddr
	}
	if !s.r.servesDomain(dom) {
		s.reject("relay-denied")
		s.log.Info("smtp: relay denied", "rcpt", to)
		return errRelay
	}
	if routesOn(local) {
		s.reject("routed-local-part")
		s.log.Warn("smtp: refused a local part that routes elsewhere", "rcpt", to)
		return errRouted
	}
	quoted, ok := quoteLocal(local)
	if !ok {
		s.reject("bad-recipient")
		return errBadAddr
	}
	s.rcpts = append(s.rcpts, quoted+"@"+dom)
	return nil
}

// Data streams the message into the spool and answers 250 only after it
// is fsynced and renamed into place.
func (s *session) Data(r io.Reader) error {
	now := time.Now().UTC()
	env := &Envelope{
		ID: ids.New(now), From: s.from, To: append([]string(nil), s.rcpts...),
		ClientIP: remoteIP(s.conn.Conn().RemoteAddr()).String(), HELO: s.conn.Hostname(),
		UTF8: s.utf8, Received: now,
	}
	if st, ok := s.wire.tlsState(); ok {
		env.TLS = tls.VersionName(st.Version) + " " + tls.CipherSuiteName(st.CipherSuite)
	}
	log := s.log.With("item_id", env.ID)
	// The DATA timeout spans the whole transfer; go-smtp's ReadTimeout
	// covers each read only.
	// It stays set after Data returns, so that go-smtp's draining of an
	// unread rest is bounded too; the next command sets its own.
	if s.wire != nil {
		s.wire.setDataDeadline(now.Add(s.r.opts.DataTimeout))
	} else {
		s.conn.Conn().SetReadDeadline(now.Add(s.r.opts.DataTimeout))
	}

	sw, err := s.r.spool.create(env)
	if err != nil {
		return s.fault(log, "creating the spool file", err)
	}
	if _, err := io.WriteString(sw, s.r.receivedHeader(env)); err != nil {
		sw.abort()
		return s.fault(log, "writing the spool file", err)
	}
	chk := &eolChecker{}
	n, err := copyData(io.MultiWriter(sw, chk), s.wire.content(r))
	if err != nil {
		sw.abort()
		var se *smtp.SMTPError
		var rerr *readError
		switch {
		case errors.As(err, &se):
			if se == smtp.ErrDataTooLarge {
				s.reject("too-large")
				return errTooBig
			}
			return se
		case errors.Is(err, smtp.ErrTooLongLine):
			s.reject("line-too-long")
			return errLineLong
		case errors.As(err, &rerr):
			// The client went away or timed out (a slow-loris DATA):
			// nothing was accepted, and the connection is closed rather
			// than left to read the rest as commands.
			log.Info("smtp: data aborted", "err", rerr.err, "bytes", n)
			s.conn.Conn().Close()
			s.reject("data-aborted")
			return errOurFault
		}
		return s.fault(log, "writing the spool file", err)
	}
	if chk.bare() || s.wire.sawBareCR() {
		sw.abort()
		s.reject("bare-cr-lf")
		log.Warn("smtp: refused message with bare CR or LF (possible SMTP smuggling)")
		return errBareEOL
	}
	if err := sw.commit(); err != nil {
		return s.fault(log, "committing the spool file", err)
	}
	m := s.r.opts.Metrics
	m.Accepted.Inc()
	m.AcceptedBytes.Add(float64(n))
	log.Info("smtp: accepted", "from", env.From, "rcpts", len(env.To), "size", n, "tls", env.TLS != "")
	s.r.wakeProcess(env.ID)
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "OK queued as " + env.ID}
}

// fault logs our own failure and answers 451 4.3.0, or 452 4.3.1 when
// the disk is full.
func (s *session) fault(log *slog.Logger, what string, err error) error {
	if isDiskFull(err) {
		log.Error("smtp: spool full", "step", what, "err", err)
		s.reject("disk-full")
		return errDiskFull
	}
	log.Error("smtp: local error", "step", what, "err", err)
	s.reject("local-error")
	return errOurFault
}

// readError marks a failure reading from the client, as opposed to
// writing the spool.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// copyData copies r to w, telling read errors from write errors. A
// reader error is never ignored: a truncated message must not get 250.
func copyData(w io.Writer, r io.Reader) (int64, error) {
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	buf := *bp
	var n int64
	for {
		m, rerr := r.Read(buf)
		if m > 0 {
			if _, werr := w.Write(buf[:m]); werr != nil {
				return n, werr
			}
			n += int64(m)
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			var se *smtp.SMTPError
			if errors.As(rerr, &se) || errors.Is(rerr, smtp.ErrTooLongLine) {
				return n, rerr
			}
			return n, &readError{rerr}
		}
	}
}

// eolChecker finds bare CR and bare LF: every CR must be followed by LF
// and every LF preceded by CR (RFC 5321 2.3.8).
type eolChecker struct {
	prevCR bool
	found  bool
}

func (c *eolChecker) Write(p []byte) (int, error) {
	for _, b := range p {
		switch {
		case c.prevCR && b != '\n':
			c.found = true
		case !c.prevCR && b == '\n':
			c.found = true
		}
		c.prevCR = b == '\r'
	}
	return len(p), nil
}

func (c *eolChecker) bare() bool { return c.found || c.prevCR }

// receivedHeader is our trace field (RFC 5321 4.4, RFC 5322 3.6.7).
func (r *Relay) receivedHeader(env *Envelope) string {
	with := "ESMTP"
	if env.TLS != "" {
		with = "ESMTPS"
	}
	if env.UTF8 {
		with = "UTF8" + with // RFC 6531 3.7.3
	}
	helo := sanitizeHeaderWord(env.HELO)
	var b strings.Builder
	// One line (under RFC 5322 2.1.1's 998), so that no reader has to
	// unfold it.
	fmt.Fprintf(&b, "Received: from %s ([%s]) by %s (mugai) with %s id %s", helo, env.ClientIP, r.opts.Hostname, with, env.ID)
	if len(env.To) == 1 {
		fmt.Fprintf(&b, " for <%s>", sanitizeHeaderWord(env.To[0]))
	}
	if env.TLS != "" {
		fmt.Fprintf(&b, " (%s)", strings.ReplaceAll(env.TLS, " ", "_"))
	}
	fmt.Fprintf(&b, "; %s\r\n", env.Received.Format(time.RFC1123Z))
	return b.String()
}

// sanitizeHeaderWord keeps client-chosen text from breaking the header.
func sanitizeHeaderWord(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x21 || r == 0x7f || r == '(' || r == ')' || r == ';' {
			return -1
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200]
	}
	if s == "" {
		s = "unknown"
	}
	return s
}
