package smtpproxy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/mugai-project/mugai/internal/tlsutil"
)

// tlsBridge ends a client's STARTTLS (RFC 3207) below go-smtp, so that
// the wire watch sees the client's bytes in clear after the upgrade as
// before it (wirewatch.go).
//
// QUIRK: go-smtp v0.25 upgrades the connection itself (conn.go
// handleStartTLS: tls.Server(c.conn, TLSConfig)) and reads the tls.Conn
// it made directly; nothing of mugai's sits between that tls.Conn and
// the DATA reader that drops the ".\r" of "\r\n.\rX". So the listener's
// connection ends the client's TLS session itself, with the configured
// certificate ("outer"), and gives go-smtp's tls.Server a second session
// over an in-memory pipe ("inner"), from a client in this process that
// trusts only a certificate made at start for the purpose. The watch
// reads the outer plaintext before it enters the inner session. The
// price is a second handshake and a second encryption, in memory, per
// STARTTLS session. go-smtp's TLSConnectionState describes the inner
// session: what the client negotiated is limitConn.tlsState.
type tlsBridge struct {
	outer  *tls.Config // the client's session: the configured certificate
	inner  *tls.Config // go-smtp's side of the inner session
	client *tls.Config // mugai's side of the inner session
}

// bridgeName is the inner session's server name.
const bridgeName = "starttls.mugai.invalid"

func newTLSBridge(outer *tls.Config) (*tlsBridge, error) {
	cert, err := tlsutil.Ephemeral(bridgeName, time.Now())
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	return &tlsBridge{
		outer:  outer,
		inner:  &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13},
		client: &tls.Config{RootCAs: pool, ServerName: bridgeName, MinVersion: tls.VersionTLS13},
	}, nil
}

// bridged is one connection after STARTTLS.
type bridged struct {
	outer *tls.Conn // to the client, over the socket
	pipe  net.Conn  // go-smtp's end of the inner session
	peer  *tls.Conn // mugai's end of the inner session
	once  sync.Once
}

// start begins the outer session on c's socket, just after go-smtp wrote
// its go-ahead. go-smtp's tls.Server reads and writes pipe from then on.
func (b *tlsBridge) start(c *limitConn) *bridged {
	mine, theirs := net.Pipe()
	u := &bridged{outer: tls.Server(c.Conn, b.outer), pipe: theirs, peer: tls.Client(mine, b.client)}
	go u.run(c)
	return u
}

// run does both handshakes and then carries the client's plaintext,
// watched, to go-smtp and go-smtp's replies back, until either side
// ends; then it closes all three connections.
func (u *bridged) run(c *limitConn) {
	defer u.close()
	// The outer handshake is bounded by the read deadline go-smtp set for
	// the STARTTLS command line; from then on go-smtp's deadlines apply
	// to its pipe, and its write deadlines also to the socket (SetWriteDeadline).
	if err := u.outer.Handshake(); err != nil {
		return
	}
	u.outer.SetReadDeadline(time.Time{})
	if err := u.peer.Handshake(); err != nil {
		return
	}
	go func() {
		defer u.close()
		io.Copy(u.outer, u.peer)
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := u.outer.Read(buf)
		c.scan(buf[:n])
		if n > 0 {
			if _, werr := u.peer.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// close ends the outer session (with a close_notify when it was
// established) and the pipe.
func (u *bridged) close() {
	u.once.Do(func() {
		u.pipe.Close()
		u.peer.NetConn().Close()
		u.outer.Close()
	})
}

// fromPipe makes go-smtp see a bridge that was closed as a closed
// connection, as it would see its socket, and end the session quietly.
func fromPipe(err error) error {
	if errors.Is(err, io.ErrClosedPipe) {
		return net.ErrClosed
	}
	return err
}
