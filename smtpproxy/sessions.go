package smtpproxy

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// A downstream session is used for several transactions, one after the
// other (RFC 5321 3.3 allows any number per session), as Postfix's
// connection cache does: a delivery that ends cleanly leaves its session
// idle here, and the next delivery to the same peer within
// sessionIdleTime takes it instead of connecting, greeting, starting TLS
// and authenticating again.
const (
	sessionIdleTime = 2 * time.Second // Postfix: smtp_connection_cache_time_limit
	sessionMaxUses  = 100             // transactions per session before it is closed
)

// outSession is one SMTP client session to a downstream.
type outSession struct {
	c     *smtp.Client
	conn  net.Conn
	uses  int
	since time.Time // idle since
}

// close ends the session with QUIT, or just closes it if that fails.
func (s *outSession) close() {
	s.conn.SetDeadline(time.Now().Add(time.Second))
	if s.c.Quit() != nil {
		s.c.Close()
	}
}

// sessionCache holds the idle sessions, per downstream.
type sessionCache struct {
	mu     sync.Mutex
	idle   map[Remote][]*outSession
	max    int  // idle sessions kept per downstream
	closed bool // after Shutdown: nothing is kept
}

// take returns an idle session to rem, or nil.
func (sc *sessionCache) take(rem Remote) *outSession {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for l := sc.idle[rem]; len(l) > 0; l = sc.idle[rem] {
		s := l[len(l)-1]
		sc.idle[rem] = l[:len(l)-1]
		if time.Since(s.since) < sessionIdleTime {
			return s
		}
		go s.close()
	}
	return nil
}

// keep puts a session whose last transaction ended cleanly back for the
// next delivery to rem, or closes it.
func (sc *sessionCache) keep(rem Remote, s *outSession) {
	s.uses++
	s.since = time.Now()
	sc.mu.Lock()
	if sc.closed || s.uses >= sessionMaxUses || len(sc.idle[rem]) >= sc.max {
		sc.mu.Unlock()
		s.close()
		return
	}
	if sc.idle == nil {
		sc.idle = map[Remote][]*outSession{}
	}
	sc.idle[rem] = append(sc.idle[rem], s)
	sc.mu.Unlock()
	// An idle session left past its time is closed here, not kept open
	// until the next delivery.
	time.AfterFunc(sessionIdleTime, func() { sc.expire(rem, s) })
}

// expire closes s if it is still idle.
func (sc *sessionCache) expire(rem Remote, s *outSession) {
	sc.mu.Lock()
	l := sc.idle[rem]
	for i, x := range l {
		if x == s {
			sc.idle[rem] = append(l[:i:i], l[i+1:]...)
			sc.mu.Unlock()
			s.close()
			return
		}
	}
	sc.mu.Unlock()
}

// closeAll closes every idle session, and keeps none from now on.
func (sc *sessionCache) closeAll() {
	sc.mu.Lock()
	idle := sc.idle
	sc.idle, sc.closed = nil, true
	sc.mu.Unlock()
	for _, l := range idle {
		for _, s := range l {
			s.close()
		}
	}
}

// dial opens a session to rem: connect, greet, STARTTLS and AUTH as
// configured.
func (r *Relay) dial(ctx context.Context, rem Remote) (*outSession, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", rem.Addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	var c *smtp.Client
	if rem.StartTLS {
		// QUIRK: go-smtp v0.25 starts TLS only through NewClientStartTLS,
		// which greets as "localhost" (its default) before STARTTLS; the
		// EHLO after TLS repeats that name.
		host, _, _ := net.SplitHostPort(rem.Addr)
		c, err = smtp.NewClientStartTLS(conn, &tls.Config{ServerName: host, InsecureSkipVerify: rem.InsecureSkipVerify, MinVersion: tls.VersionTLS12})
		if err != nil {
			conn.Close()
			return nil, err
		}
	} else {
		c = smtp.NewClient(conn)
		if err := c.Hello(r.opts.Hostname); err != nil {
			c.Close()
			return nil, err
		}
	}
	c.CommandTimeout, c.SubmissionTimeout = rem.Timeout, rem.Timeout
	if rem.Username != "" {
		if _, isTLS := c.TLSConnectionState(); !isTLS {
			c.Close()
			return nil, errors.New("refusing AUTH without TLS")
		}
		if err := c.Auth(sasl.NewPlainClient("", rem.Username, rem.Password)); err != nil {
			c.Close()
			return nil, err
		}
	}
	return &outSession{c: c, conn: conn}, nil
}
