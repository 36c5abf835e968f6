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
//     connection, every message on it is refused with 554 5.6.0. Under
//     STARTTLS the watch reads the plaintext of the client's TLS
//     session, which mugai ends itself (tlsbridge.go).
//   - Commands that go-smtp answers without the session's MAIL, RCPT or
//     DATA (NOOP, RSET, VRFY, HELP, repeated EHLO): they do not advance
//     a transaction. Past Options.MaxJunkCommands of them since
//     the last message content, the session is closed with 421, as
//     Postfix's smtpd_junk_command_limit does, so that a client cannot
//     hold a connection slot with a NOOP a second.
//
// QUIRK: commands are counted by the read deadline go-smtp v0.25 sets
// before reading each command line (conn.go readLine), which its
// tls.Conn passes down under STARTTLS.
type wireWatch struct {
	limit   int
	junk    int
	greeted bool
	prevCR  bool
	bareCR  bool
}

// errJunkCommands ends a session; go-smtp answers it with 421 4.4.0 and
// closes the connection.
var errJunkCommands = errors.New("too many commands without a transaction")

// Read implements net.Conn: the socket's bytes in clear, or after
// STARTTLS the inner session's records (the bridge watches their
// plaintext).
func (c *limitConn) Read(p []byte) (int, error) {
	if u := c.up.Load(); u != nil {
		n, err := u.pipe.Read(p)
		return n, fromPipe(err)
	}
	n, err := c.Conn.Read(p)
	c.scan(p[:n])
	return n, err
}

// scan watches bytes from the client for a bare CR.
func (c *limitConn) scan(p []byte) {
	c.mu.Lock()
	for _, b := range p {
		if c.w.prevCR && b != '\n' {
			c.w.bareCR = true
		}
		c.w.prevCR = b == '\r'
	}
	c.mu.Unlock()
}

// Write implements net.Conn. Once go-smtp has written its STARTTLS
// go-ahead, the client's TLS session is begun here (tlsbridge.go).
//
// QUIRK: go-smtp writes each reply line in one Write; its greeting is
// "220 <domain> ESMTP …" and its STARTTLS go-ahead "220 2.0.0 Ready to
// start TLS", after which its handshake starts.
func (c *limitConn) Write(p []byte) (int, error) {
	if u := c.up.Load(); u != nil {
		n, err := u.pipe.Write(p)
		return n, fromPipe(err)
	}
	c.mu.Lock()
	goAhead := c.w.greeted && bytes.HasPrefix(p, []byte("220 2.0.0 "))
	c.w.greeted = true
	c.mu.Unlock()
	n, err := c.Conn.Write(p)
	if goAhead && err == nil {
		c.up.Store(c.l.tls.start(c))
	}
	return n, err
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
	return c.readDeadline(t)
}

func (c *limitConn) readDeadline(t time.Time) error {
	if u := c.up.Load(); u != nil {
		return u.pipe.SetReadDeadline(t)
	}
	return c.Conn.SetReadDeadline(t)
}

// SetWriteDeadline implements net.Conn. Under STARTTLS it bounds both
// go-smtp's write into the bridge and the bridge's onto the socket.
func (c *limitConn) SetWriteDeadline(t time.Time) error {
	if u := c.up.Load(); u != nil {
		u.outer.SetWriteDeadline(t)
		return u.pipe.SetWriteDeadline(t)
	}
	return c.Conn.SetWriteDeadline(t)
}

// SetDeadline implements net.Conn.
func (c *limitConn) SetDeadline(t time.Time) error {
	return errors.Join(c.readDeadline(t), c.SetWriteDeadline(t))
}

// tlsState is the client's TLS session, once STARTTLS has begun.
func (c *limitConn) tlsState() (tls.ConnectionState, bool) {
	if c == nil {
		return tls.ConnectionState{}, false
	}
	u := c.up.Load()
	if u == nil {
		return tls.ConnectionState{}, false
	}
	return u.outer.ConnectionState(), true
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

// sawBareCR reports whether a bare CR has come from the client, in
// clear or inside its TLS session.
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
func (c *limitConn) setDataDeadline(t time.Time) { c.readDeadline(t) }

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
