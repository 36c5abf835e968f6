package smtpproxy

import (
	"strings"
	"testing"
)

// noopUntilClosed sends NOOP until the relay closes the session and
// returns the replies.
func noopUntilClosed(t *testing.T, w *wire, max int) []string {
	t.Helper()
	var replies []string
	for range max {
		got := w.cmd("NOOP")
		replies = append(replies, got)
		if !strings.HasPrefix(got, "250") {
			break
		}
	}
	return replies
}

// dialFree connects once the one connection slot is free (a closed
// session's slot is released a moment after it closes) and says EHLO.
func dialFree(t *testing.T, addr string) *wire {
	t.Helper()
	var w *wire
	waitFor(t, "a free slot", func() bool {
		w = dialWire(t, addr)
		if strings.HasPrefix(w.reply(), "220") {
			return true
		}
		w.c.Close()
		return false
	})
	expectPrefix(t, "EHLO", w.cmd("EHLO client.example.com"), "250")
	return w
}

// TestNOOPFlood holds a session open with NOOPs (a client that sends one
// a second holds a connection slot forever): past MaxJunkCommands it is
// closed with 421, in clear and under STARTTLS, and its slot is free
// again. A client that sends a few between messages is not.
func TestNOOPFlood(t *testing.T) {
	o := testOptions(t)
	o.MaxJunkCommands = 5
	o.MaxConnectionsPerIP = 1
	r := startAcceptOnly(t, o)
	check := func(t *testing.T, replies []string) {
		t.Helper()
		last := replies[len(replies)-1]
		if len(replies) > o.MaxJunkCommands+1 || !strings.HasPrefix(last, "421 ") {
			t.Fatalf("after %d NOOPs: %q, want 421 after at most %d", len(replies), replies, o.MaxJunkCommands)
		}
		dialFree(t, r.Addr().String()).c.Close()
	}
	t.Run("clear", func(t *testing.T) {
		w := dialFree(t, r.Addr().String())
		check(t, noopUntilClosed(t, w, 100))
	})
	t.Run("STARTTLS", func(t *testing.T) {
		w := dialFree(t, r.Addr().String())
		w.startTLS(nil)
		for range 3 {
			expectPrefix(t, "MAIL", w.cmd("MAIL FROM:<a@example.com>"), "250")
			expectPrefix(t, "RCPT", w.cmd("RCPT TO:<user@lg.example.jp>"), "250")
			expectPrefix(t, "DATA", w.cmd("DATA"), "354")
			w.send(simpleMessage + ".\r\n")
			expectPrefix(t, "end of data in TLS", w.reply(), "250")
		}
		check(t, noopUntilClosed(t, w, 100))
	})
	t.Run("between messages", func(t *testing.T) {
		w := dialFree(t, r.Addr().String())
		for range 3 {
			for range o.MaxJunkCommands - 2 {
				expectPrefix(t, "NOOP", w.cmd("NOOP"), "250")
			}
			expectPrefix(t, "MAIL", w.cmd("MAIL FROM:<a@example.com>"), "250")
			expectPrefix(t, "RCPT", w.cmd("RCPT TO:<user@lg.example.jp>"), "250")
			expectPrefix(t, "DATA", w.cmd("DATA"), "354")
			w.send(simpleMessage + ".\r\n")
			expectPrefix(t, "end of data", w.reply(), "250")
			expectPrefix(t, "RSET", w.cmd("RSET"), "250")
		}
		expectPrefix(t, "QUIT", w.cmd("QUIT"), "221")
	})
}
