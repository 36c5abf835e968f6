package smtpproxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestEHLOExtensions(t *testing.T) {
	r := startAcceptOnly(t, testOptions(t))
	w := dialWire(t, r.Addr().String())
	ehlo := w.hello()
	for _, ext := range []string{"SIZE 26214400", "8BITMIME", "SMTPUTF8", "PIPELINING", "ENHANCEDSTATUSCODES", "STARTTLS"} {
		if !strings.Contains(ehlo, ext) {
			t.Errorf("EHLO lacks %s: %q", ext, ehlo)
		}
	}
}

func TestOpenRelayRefused(t *testing.T) {
	r := startAcceptOnly(t, testOptions(t))
	for _, rcpt := range []string{
		"victim@example.com",
		"user@lg.example.jp.evil.com",
		"user@lg.example.jp@evil.com",
		"user%evil.com@evil.com",
		"@evil.com:user@evil.com",
		"user",
	} {
		t.Run(rcpt, func(t *testing.T) {
			w := dialWire(t, r.Addr().String())
			w.hello()
			expectPrefix(t, "MAIL", w.cmd("MAIL FROM:<a@example.com>"), "250")
			got := w.cmd("RCPT TO:<" + rcpt + ">")
			if !strings.HasPrefix(got, "550 5.7.1") && !strings.HasPrefix(got, "501") && !strings.HasPrefix(got, "553") {
				t.Fatalf("RCPT %s: %q, want refusal", rcpt, got)
			}
			expectPrefix(t, "DATA", w.cmd("DATA"), "502")
		})
	}
	if n := len(spooled(t, r)); n != 0 {
		t.Fatalf("%d messages spooled", n)
	}
}

// TestSMTPSmuggling sends the end-of-data variants that some MTAs take
// for the end of DATA (CVE-2023-51764 and relatives), in clear and
// inside a STARTTLS session. Each is refused with 554 5.6.0, none may
// end the message early, and no accepted message may contain a bare CR
// or LF. "\r\n.\r" followed by anything but LF is one that go-smtp's
// DATA reader turns into clean CRLF lines by dropping the ".\r": it is
// caught below go-smtp (wirewatch.go), which under STARTTLS reads the
// plaintext of the client's session (tlsbridge.go).
func TestSMTPSmuggling(t *testing.T) {
	r := startAcceptOnly(t, testOptions(t))
	smuggled := "MAIL FROM:<ceo@example.com>\r\nRCPT TO:<victim@lg.example.jp>\r\nDATA\r\nFrom: ceo@example.com\r\nSubject: smuggled\r\n\r\nsmuggled\r\n"
	variants := map[string]string{
		`\n.\n`:   "\n.\n",
		`\n.\r\n`: "\n.\r\n",
		`\r\n.\n`: "\r\n.\n",
		`\r.\r`:   "\r.\r",
		`\r\n.\r`: "\r\n.\r",
		// The same followed by text, and by CRLF.
		`\r\n.\r text`: "\r\n.\rtext\r\n",
		`\r\n.\r\r\n`:  "\r\n.\r\r\n",
	}
	for _, mode := range []string{"clear", "STARTTLS"} {
		// envelope opens a session in this mode and a transaction in it.
		envelope := func(t *testing.T) *wire {
			t.Helper()
			w := dialWire(t, r.Addr().String())
			w.hello()
			if mode == "STARTTLS" {
				w.startTLS(nil)
			}
			expectPrefix(t, "MAIL", w.cmd("MAIL FROM:<a@example.com>"), "250")
			expectPrefix(t, "RCPT", w.cmd("RCPT TO:<user@lg.example.jp>"), "250")
			return w
		}
		for name, eod := range variants {
			t.Run(mode+"/"+name, func(t *testing.T) {
				before := len(spooled(t, r))
				w := envelope(t)
				expectPrefix(t, "DATA", w.cmd("DATA"), "354")
				w.send("From: a@example.com\r\nSubject: first\r\n\r\nfirst" + eod + smuggled + ".\r\n")
				got := w.reply()
				queued := 0
				if strings.HasPrefix(got, "250") {
					queued++
				}
				expectPrefix(t, "end of data", got, "554 5.6.0")
				// Whatever follows must be read as commands of this
				// session, never as a second message smuggled in the first.
				got = w.cmd("NOOP")
				expectPrefix(t, "NOOP after", got, "250")
				w.cmd("QUIT")
				after := spooled(t, r)
				if len(after)-before != queued || queued > 1 {
					t.Fatalf("%d messages spooled, %d acknowledged", len(after)-before, queued)
				}
				for _, m := range after {
					body := m[strings.IndexByte(m, '\n')+1:]
					if (&eolChecker{}).check(body) {
						t.Fatalf("spooled message has a bare CR or LF: %q", body)
					}
					if strings.Contains(body, "Subject: smuggled\r\n") && !strings.Contains(body, "Subject: first") {
						t.Fatalf("smuggled message spooled on its own")
					}
				}
			})
		}
		t.Run(mode+"/BDAT", func(t *testing.T) {
			before := len(spooled(t, r))
			w := envelope(t)
			chunk := "Subject: first\r\n\r\nfirst\n.\n" + smuggled + ".\r\n"
			w.send(fmt.Sprintf("BDAT %d LAST\r\n%s", len(chunk), chunk))
			expectPrefix(t, "BDAT", w.reply(), "554 5.6.0")
			expectPrefix(t, "NOOP after", w.cmd("NOOP"), "250")
			if n := len(spooled(t, r)) - before; n != 0 {
				t.Fatalf("%d messages spooled", n)
			}
		})
	}
}

func (c *eolChecker) check(s string) bool {
	c.Write([]byte(s))
	return c.bare()
}

func TestOversize(t *testing.T) {
	o := testOptions(t)
	o.MaxMessageBytes = 2000
	r := startAcceptOnly(t, o)
	t.Run("declared SIZE", func(t *testing.T) {
		w := dialWire(t, r.Addr().String())
		w.hello()
		expectPrefix(t, "MAIL", w.cmd("MAIL FROM:<a@example.com> SIZE=5000"), "552 5.3.4")
	})
	t.Run("DATA", func(t *testing.T) {
		w := dialEnvelope(t, r.Addr().String())
		expectPrefix(t, "DATA", w.cmd("DATA"), "354")
		w.send("Subject: big\r\n\r\n" + strings.Repeat("0123456789012345678901234567890123456789\r\n", 100) + ".\r\n")
		expectPrefix(t, "end of data", w.reply(), "552 5.3.4")
		expectPrefix(t, "NOOP after", w.cmd("NOOP"), "250")
	})
	t.Run("BDAT", func(t *testing.T) {
		w := dialEnvelope(t, r.Addr().String())
		chunk := strings.Repeat("x\r\n", 1000)
		w.send(fmt.Sprintf("BDAT %d LAST\r\n%s", len(chunk), chunk))
		expectPrefix(t, "BDAT", w.reply(), "552")
	})
	if n := len(spooled(t, r)); n != 0 {
		t.Fatalf("%d messages spooled", n)
	}
}

func TestTooManyRecipients(t *testing.T) {
	o := testOptions(t)
	o.MaxRecipients = 3
	r := startAcceptOnly(t, o)
	w := dialWire(t, r.Addr().String())
	w.hello()
	expectPrefix(t, "MAIL", w.cmd("MAIL FROM:<a@example.com>"), "250")
	for i := range 3 {
		expectPrefix(t, "RCPT", w.cmd(fmt.Sprintf("RCPT TO:<u%d@lg.example.jp>", i)), "250")
	}
	expectPrefix(t, "4th RCPT", w.cmd("RCPT TO:<u4@lg.example.jp>"), "452 4.5.3")
	expectPrefix(t, "DATA", w.cmd("DATA"), "354")
	w.send(simpleMessage + ".\r\n")
	expectPrefix(t, "end of data", w.reply(), "250")
	if m := spooled(t, r); len(m) != 1 || strings.Contains(m[0], "u4@") {
		t.Fatalf("spooled %d messages: %q", len(m), m)
	}
}

// TestSlowLoris holds connections open without finishing commands or
// DATA: the timeouts close them, nothing is accepted, and the relay
// still serves others.
func TestSlowLoris(t *testing.T) {
	o := testOptions(t)
	o.CommandTimeout = 300 * time.Millisecond
	o.DataTimeout = 600 * time.Millisecond
	r := startAcceptOnly(t, o)
	t.Run("idle after EHLO", func(t *testing.T) {
		w := dialWire(t, r.Addr().String())
		w.hello()
		w.send("MAIL FROM:<a@exa") // never finished
		var replies []string
		for {
			got := w.reply()
			replies = append(replies, got)
			if strings.Contains(got, "<EOF>") || len(replies) > 5 {
				break
			}
		}
		if !strings.Contains(strings.Join(replies, "\n"), "421 4.4.2") {
			t.Fatalf("replies %q, want 421 4.4.2 and close", replies)
		}
	})
	t.Run("dribbling DATA", func(t *testing.T) {
		w := dialEnvelope(t, r.Addr().String())
		expectPrefix(t, "DATA", w.cmd("DATA"), "354")
		closed := false
		for range 200 {
			if _, err := w.c.Write([]byte("x")); err != nil {
				closed = true
				break
			}
			w.c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			if _, err := w.br.ReadByte(); err != nil && !isTimeout(err) {
				closed = true
				break
			}
		}
		if !closed {
			t.Fatal("the dribbling client was never cut off")
		}
	})
	w := dialWire(t, r.Addr().String())
	expectPrefix(t, "EHLO after", w.hello(), "250")
	if n := len(spooled(t, r)); n != 0 {
		t.Fatalf("%d messages spooled", n)
	}
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

func TestConnectionCaps(t *testing.T) {
	o := testOptions(t)
	o.MaxConnectionsPerIP = 2
	r := startAcceptOnly(t, o)
	a, b := dialWire(t, r.Addr().String()), dialWire(t, r.Addr().String())
	a.hello()
	b.hello()
	c := dialWire(t, r.Addr().String())
	expectPrefix(t, "third connection", c.reply(), "421 4.7.0")
	a.cmd("QUIT")
	a.c.Close()
	waitFor(t, "a slot to free", func() bool {
		d := dialWire(t, r.Addr().String())
		defer d.c.Close()
		return strings.HasPrefix(d.reply(), "220")
	})
}

func TestAllowList(t *testing.T) {
	o := testOptions(t)
	o.AllowNets = []string{"10.0.0.0/8"}
	r := startAcceptOnly(t, o)
	expectPrefix(t, "greeting", dialWire(t, r.Addr().String()).reply(), "554 5.7.1")

	o = testOptions(t)
	o.AllowNets = []string{"127.0.0.1"}
	r = startAcceptOnly(t, o)
	expectPrefix(t, "greeting", dialWire(t, r.Addr().String()).reply(), "220")
}

// fullDisk fails writes with ENOSPC after limit bytes.
type fullDisk struct {
	w     io.Writer
	limit int
}

func (f *fullDisk) Write(p []byte) (int, error) {
	if len(p) > f.limit {
		n, _ := f.w.Write(p[:f.limit])
		f.limit = 0
		return n, syscall.ENOSPC
	}
	f.limit -= len(p)
	return f.w.Write(p)
}

// TestDiskFull injects ENOSPC into the spool writer (a fault-injection
// seam: a real full file system needs root for a tmpfs): the client gets
// 452 4.3.1, nothing half-written stays, and the next message, with
// space again, is accepted.
func TestDiskFull(t *testing.T) {
	o := testOptions(t)
	full := true
	o.hooks.spoolWriter = func(w io.Writer) io.Writer {
		if full {
			return &fullDisk{w: w, limit: 300}
		}
		return w
	}
	r := startAcceptOnly(t, o)
	send := func() string {
		w := dialEnvelope(t, r.Addr().String())
		w.cmd("DATA")
		w.send(simpleMessage + ".\r\n")
		return w.reply()
	}
	expectPrefix(t, "disk full", send(), "452 4.3.1")
	if n := len(spooled(t, r)); n != 0 {
		t.Fatalf("%d messages spooled", n)
	}
	if ids, _ := listIDs(r.spool.tmp()); len(ids) != 0 {
		t.Fatalf("left in spool/tmp: %v", ids)
	}
	full = false
	expectPrefix(t, "space again", send(), "250")
}

func TestReceivedHeader(t *testing.T) {
	r := startAcceptOnly(t, testOptions(t))
	w := dialEnvelope(t, r.Addr().String())
	w.cmd("DATA")
	w.send(simpleMessage + ".\r\n")
	expectPrefix(t, "end of data", w.reply(), "250 2.0.0 OK queued as ")
	msg := spooledMessage(t, r)
	if !strings.HasPrefix(msg, "Received: from client.example.com ([127.0.0.1]) by mugai.test (mugai) with ESMTP id ") {
		t.Fatalf("no Received header: %q", msg[:200])
	}
	if !strings.HasSuffix(msg, simpleMessage) {
		t.Fatal("message body changed in the spool")
	}
}

// TestSTARTTLSSession: under STARTTLS the client gets the relay's
// configured certificate (mugai ends the session itself, tlsbridge.go),
// and the Received header names the TLS version and cipher suite the
// client negotiated.
func TestSTARTTLSSession(t *testing.T) {
	o := testOptions(t)
	r := startAcceptOnly(t, o)
	pem, err := os.ReadFile(filepath.Join(o.DataDir, "tls", "selfsigned.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in selfsigned.crt")
	}
	// TLS 1.2 with one suite: not what the relay's own inner session uses.
	suite := tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
	w := dialWire(t, r.Addr().String())
	w.hello()
	st := w.startTLS(&tls.Config{RootCAs: roots, ServerName: "mugai.test", MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{suite}})
	if st.Version != tls.VersionTLS12 || st.CipherSuite != suite {
		t.Fatalf("negotiated %s %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
	}
	expectPrefix(t, "MAIL", w.cmd("MAIL FROM:<a@example.com>"), "250")
	expectPrefix(t, "RCPT", w.cmd("RCPT TO:<user@lg.example.jp>"), "250")
	expectPrefix(t, "DATA", w.cmd("DATA"), "354")
	w.send(simpleMessage + ".\r\n")
	expectPrefix(t, "end of data", w.reply(), "250 2.0.0 OK queued as ")
	msg := spooledMessage(t, r)
	head := msg[:strings.Index(msg, "\r\n")]
	if !strings.Contains(head, " with ESMTPS id ") || !strings.Contains(head, "(TLS_1.2_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256)") {
		t.Fatalf("Received header does not name the client's TLS session: %q", head)
	}
	if !strings.HasSuffix(msg, simpleMessage) {
		t.Fatal("message body changed in the spool")
	}
}

// TestGracefulShutdown: during a shutdown, new connections get 421, an
// open session may finish its message (250), and Shutdown returns.
func TestGracefulShutdown(t *testing.T) {
	o := testOptions(t)
	r, err := newRelay(t, o, testEngine(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Listen(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- r.Serve() }()
	a := dialWire(t, r.Addr().String())
	a.hello()
	expectPrefix(t, "MAIL", a.cmd("MAIL FROM:<a@example.com>"), "250")
	expectPrefix(t, "RCPT", a.cmd("RCPT TO:<user@lg.example.jp>"), "250")

	done := make(chan error, 1)
	go func() { done <- r.Shutdown(context.Background()) }()
	waitFor(t, "closing", func() bool { return r.closing.Load() })
	waitFor(t, "new sessions to get 421", func() bool {
		b := dialWire(t, r.Addr().String())
		defer b.c.Close()
		return strings.HasPrefix(b.reply(), "421 4.3.2")
	})
	expectPrefix(t, "DATA", a.cmd("DATA"), "354")
	a.send(simpleMessage + ".\r\n")
	expectPrefix(t, "end of data", a.reply(), "250")
	a.cmd("QUIT")
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if n := len(spooled(t, r)) + len(mustList(t, r.outbox.dir)) + len(maildirFiles(t, r, "user@lg.example.jp")); n == 0 {
		t.Fatal("the message acknowledged during shutdown is neither spooled, queued nor delivered")
	}
}

func mustList(t *testing.T, dir string) []string {
	t.Helper()
	ids, err := listIDs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestRecipientRouting sends recipients in served domains whose local
// parts would route the message on elsewhere (an address in the local
// part, the percent hack, a bang path, the same quoted): each is refused
// with 550 5.1.3. Quoted local parts without routing characters are
// kept quoted, and the domain is normalized.
func TestRecipientRouting(t *testing.T) {
	r := startAcceptOnly(t, testOptions(t))
	for _, rcpt := range []string{
		"victim@gmail.com@lg.example.jp",
		"victim%gmail.com@lg.example.jp",
		"victim!gmail.com@lg.example.jp",
		"gmail.com!victim@lg.example.jp",
		`"victim@gmail.com"@lg.example.jp`,
		`"victim%gmail.com"@LG.example.JP.`,
		`"victim\@gmail.com"@lg.example.jp`,
	} {
		t.Run(rcpt, func(t *testing.T) {
			w := dialWire(t, r.Addr().String())
			w.hello()
			expectPrefix(t, "MAIL", w.cmd("MAIL FROM:<a@example.com>"), "250")
			expectPrefix(t, "RCPT "+rcpt, w.cmd("RCPT TO:<"+rcpt+">"), "550 5.1.3")
		})
	}
	if n := len(spooled(t, r)); n != 0 {
		t.Fatalf("%d messages spooled", n)
	}
	w := dialWire(t, r.Addr().String())
	w.hello()
	expectPrefix(t, "MAIL", w.cmd("MAIL FROM:<a@example.com>"), "250")
	expectPrefix(t, "RCPT quoted", w.cmd(`RCPT TO:<"john doe"@LG.Example.JP.>`), "250")
	expectPrefix(t, "RCPT plain", w.cmd(`RCPT TO:<user.name+tag@lg.example.jp>`), "250")
	expectPrefix(t, "DATA", w.cmd("DATA"), "354")
	w.send(simpleMessage + ".\r\n")
	expectPrefix(t, "end of data", w.reply(), "250")
	m := spooled(t, r)
	if len(m) != 1 || !strings.Contains(m[0], `"to":["\"john doe\"@lg.example.jp","user.name+tag@lg.example.jp"]`) {
		t.Fatalf("spooled envelope: %q", m)
	}
}
