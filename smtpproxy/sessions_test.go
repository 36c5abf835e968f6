package smtpproxy

import (
	"fmt"
	"testing"
)

// TestDownstreamSessionReused: messages delivered one after the other go
// over one downstream session (RFC 5321 3.3), each exactly once.
func TestDownstreamSessionReused(t *testing.T) {
	down := startFakeMTA(t)
	o := testOptions(t)
	o.Downstream.Addr = down.addr
	r := startRelay(t, o)
	const n = 4
	for i := range n {
		if err := sendMail(t, r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, fmt.Sprintf("Subject: m%d\r\n\r\nbody\r\n", i)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the delivery", func() bool { return len(down.messages()) == i+1 })
	}
	if got := down.sessionCount(); got != 1 {
		t.Fatalf("%d downstream sessions for %d messages one after the other, want 1", got, n)
	}
}

// TestDownstreamSessionDroppedWhileIdle: a peer that dropped the idle
// session gets the next message on a new one, delivered once.
func TestDownstreamSessionDroppedWhileIdle(t *testing.T) {
	down := startFakeMTA(t)
	down.oneTransaction = true
	o := testOptions(t)
	o.Downstream.Addr = down.addr
	r := startRelay(t, o)
	const n = 3
	for i := range n {
		if err := sendMail(t, r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, fmt.Sprintf("Subject: m%d\r\n\r\nbody\r\n", i)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the delivery", func() bool { return len(down.messages()) == i+1 })
	}
	if got := down.sessionCount(); got != n {
		t.Fatalf("%d downstream sessions, want %d (one a message)", got, n)
	}
	ids, _ := r.outbox.list()
	waitFor(t, "the outbox to empty", func() bool { ids, _ = r.outbox.list(); return len(ids) == 0 })
	for i, m := range down.messages() {
		if m.from != "sender@example.com" {
			t.Fatalf("message %d: %+v", i, m)
		}
	}
}
