package smtpproxy

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// limitListener caps connections in total and per client IP, enforces the
// client allow-list, and after Close keeps answering new connections with
// 421 until stop, so that senders retry instead of seeing a refused port
// during a graceful shutdown. go-smtp starts a session only at EHLO, so
// the caps must live here, below it.
type limitListener struct {
	net.Listener
	max, perIP int
	allow      []netip.Prefix
	hostname   string
	metrics    *Metrics
	junk       int        // MaxJunkCommands
	tls        *tlsBridge // STARTTLS, ended here

	conns chan net.Conn
	done  chan struct{} // closed by Close: refuse with 421
	once  sync.Once

	mu    sync.Mutex
	total int
	byIP  map[netip.Addr]int
}

func newLimitListener(l net.Listener, o *Options, allow []netip.Prefix, tb *tlsBridge) *limitListener {
	ll := &limitListener{
		Listener: l, max: o.MaxConnections, perIP: o.MaxConnectionsPerIP, allow: allow,
		hostname: o.Hostname, metrics: o.Metrics, junk: o.MaxJunkCommands, tls: tb,
		conns: make(chan net.Conn), done: make(chan struct{}), byIP: map[netip.Addr]int{},
	}
	go ll.loop()
	return ll
}

func (l *limitListener) loop() {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			close(l.conns)
			return
		}
		ip := remoteIP(c.RemoteAddr())
		select {
		case <-l.done:
			l.refuse(c, "421 4.3.2 "+l.hostname+" shutting down, try again later", "shutdown")
			continue
		default:
		}
		if !l.allowed(ip) {
			l.refuse(c, "554 5.7.1 "+l.hostname+" does not accept mail from your address", "client-not-allowed")
			continue
		}
		l.mu.Lock()
		over := l.total >= l.max || l.byIP[ip] >= l.perIP
		if !over {
			l.total++
			l.byIP[ip]++
		}
		l.mu.Unlock()
		if over {
			l.refuse(c, "421 4.7.0 "+l.hostname+" too many connections, try again later", "too-many-connections")
			continue
		}
		lc := &limitConn{Conn: c, l: l, ip: ip, w: wireWatch{limit: l.junk}}
		select {
		case l.conns <- lc:
		case <-l.done:
			lc.Close()
			l.refuse(c, "421 4.3.2 "+l.hostname+" shutting down, try again later", "shutdown")
		}
	}
}

func (l *limitListener) refuse(c net.Conn, line, reason string) {
	l.metrics.Rejected.WithLabelValues(reason).Inc()
	go func() {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write([]byte(line + "\r\n"))
		c.Close()
	}()
}

func (l *limitListener) allowed(ip netip.Addr) bool {
	if len(l.allow) == 0 {
		return true
	}
	for _, p := range l.allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Accept implements net.Listener.
func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case c, ok := <-l.conns:
		if !ok {
			return nil, net.ErrClosed
		}
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops handing connections to the server; new ones get 421 until
// stop closes the socket.
func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// stop closes the socket.
func (l *limitListener) stop() error {
	l.Close()
	return l.Listener.Close()
}

func (l *limitListener) release(ip netip.Addr) {
	l.mu.Lock()
	l.total--
	if l.byIP[ip]--; l.byIP[ip] <= 0 {
		delete(l.byIP, ip)
	}
	l.mu.Unlock()
}

type limitConn struct {
	net.Conn
	l    *limitListener
	ip   netip.Addr
	once sync.Once

	mu sync.Mutex
	w  wireWatch // wirewatch.go

	up atomic.Pointer[bridged] // set once STARTTLS has begun (tlsbridge.go)
}

func (c *limitConn) Close() error {
	c.once.Do(func() { c.l.release(c.ip) })
	if u := c.up.Load(); u != nil {
		u.close()
		return nil
	}
	return c.Conn.Close()
}

func remoteIP(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(ta.IP)
		return ip.Unmap()
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// ParseNets parses Options.AllowNets: CIDRs and single addresses.
func ParseNets(ss []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range ss {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR nor an address", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
