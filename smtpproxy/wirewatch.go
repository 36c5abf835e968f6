package smtpproxy

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"time"
)

// wireWatch looks at a connection's bytes below go-smtp, for what go-smtp
// hides from the session:
//
//   - A bare CR in the stream (RFC 5321 2.3.8). go-smtp's DATA reader
//     drops a "." and a CR at the start of a line when a byte other than
//     LF follows ("\r\n.\rX" reaches the session as "\r\nX", and
//     "\r\n.\r\r\n" as "\r\n\r\n"), so the session's own bare-CR check
//     cannot see that smuggling variant. Once a bare CR has crossed the
//     connection, every message on it is refused with 554 5.6.0.
//   - Commands that go-smtp answers without the session's MAIL, RCPT or
//     DATA (NOOP, RSET, VRFY, HELP, repeated EHLO): they do not advance
//     a transaction. Past Options.MaxJunkCommands of them since
//     the last message content, the session is closed with 421, as
//     Postfix's smtpd_junk_command_limit does, so that a client cannot
//     hold a connection slot with a NOOP a second.
//
// QUIRK: once STARTTLS has begun, the bytes here are ciphertext: the
// bare-CR scan stops (what it saw in clear still counts), and commands
// are counted by the read deadline go-smtp v0.25 sets before reading
// each command line (conn.go readLine), which tls.Conn passes down.
type wireWatch struct {
	limit   int
	junk    int
	greeted bool
	tls     bool
	prevCR  bool
	bareCR  bool
}

// errJunkCommands ends a session; go-smtp answers it with 421 4.4.0 and
// closes the connection.
var errJunkCommands = errors.New("too many commands without a transaction")

// Read implements net.Conn.
func (c *limitConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	if !c.w.tls {
		for _, b := range p[:n] {
			if c.w.prevCR && b != '\n' {
				c.w.bareCR = true
			}
			c.w.prevCR = b == '\r'
		}
	}
	c.mu.Unlock()
	return n, err
}

// Write implements net.Conn. It notes the start of TLS.
//
// QUIRK: go-smtp writes each reply line in one Write; its greeting is
// "220 <domain> ESMTP …" and its STARTTLS go-ahead "220 2.0.0 Ready to
// start TLS", after which the handshake starts.
func (c *limitConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if !c.w.tls {
		if c.w.greeted && bytes.HasPrefix(p, []byte("220 2.0.0 ")) {
			c.w.tls = true
		}
		c.w.greeted = true
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// SetReadDeadline implements net.Conn: go-smtp calls it before each
// command line, and it counts the command as junk until the session
// says otherwise.
func (c *limitConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.w.junk++
	over := c.w.junk > c.w.limit
	c.mu.Unlock()
	if over {
		c.l.metrics.Rejected.WithLabelValues("junk-commands").Inc()
		return errJunkCommands
	}
	return c.Conn.SetReadDeadline(t)
}

// wireOf is the limitConn under a session's connection (under TLS, if
// any), nil if there is none. Its methods accept nil.
func wireOf(conn net.Conn) *limitConn {
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn()
	}
	lc, _ := conn.(*limitConn)
	return lc
}

// advanced takes back the count of a MAIL or RCPT command: the session
// answers those itself, and limits them (MaxRecipients).
func (c *limitConn) advanced() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.w.junk = max(c.w.junk-1, 0)
	c.mu.Unlock()
}

// sawBareCR reports whether a bare CR has crossed the connection in
// clear.
func (c *limitConn) sawBareCR() bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w.bareCR
}

// setDataDeadline bounds a whole DATA or BDAT transfer. It is not a
// command read, so it is not counted.
func (c *limitConn) setDataDeadline(t time.Time) { c.Conn.SetReadDeadline(t) }

// content passes message content through and, as it arrives, clears the
// junk count (BDAT chunks are commands too).
func (c *limitConn) content(r io.Reader) io.Reader {
	if c == nil {
		return r
	}
	return readFunc(func(p []byte) (int, error) {
		n, err := r.Read(p)
		if n > 0 {
			c.mu.Lock()
			c.w.junk = 0
			c.mu.Unlock()
		}
		return n, err
	})
}

type readFunc func([]byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }
