package smtpproxy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mugai-project/mugai/internal/store"
)

// submit sends one message whose Subject is tok, and reports whether it
// was acknowledged.
func submit(addr, tok string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	msg := "From: sender@example.com\r\nTo: user@lg.example.jp\r\nSubject: " + tok + "\r\nMessage-ID: <" + tok + "@example.com>\r\n\r\nmessage " + tok + "\r\n"
	return c.SendMail("sender@example.com", []string{"user@lg.example.jp"}, strings.NewReader(msg))
}

// count returns how many deliveries the downstream took per Subject.
func (f *fakeMTA) count() map[string]int {
	n := map[string]int{}
	for _, m := range f.messages() {
		if i := strings.Index(m.data, "\r\nSubject: "); i >= 0 {
			subj := m.data[i+len("\r\nSubject: "):]
			n[subj[:strings.Index(subj, "\r\n")]]++
		}
	}
	return n
}

// TestGracefulRestartUnderLoad restarts the relay gracefully (Shutdown,
// as on SIGTERM) several times while clients send and deliveries to a
// downstream go-smtp server, slowed to keep many in flight, are under
// way: every acknowledged message is delivered exactly once.
func TestGracefulRestartUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("a load test")
	}
	down := startFakeMTA(t)
	down.delay = 30 * time.Millisecond
	o := testOptions(t)
	o.Downstream.Addr = down.addr
	o.ScanInterval = time.Second
	eng := testEngine(t)

	var mu sync.Mutex
	var accepted []string
	next := 0
	run := func(wait time.Duration) *Relay {
		r, err := newRelay(t, o, eng)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Listen(); err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- r.Serve() }()
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					mu.Lock()
					next++
					tok := fmt.Sprintf("load-%d", next)
					mu.Unlock()
					if err := submit(r.Addr().String(), tok); err != nil {
						return // shutting down: not accepted
					}
					mu.Lock()
					accepted = append(accepted, tok)
					mu.Unlock()
				}
			}()
		}
		time.Sleep(wait)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Fatalf("shutdown: %v", err)
		}
		wg.Wait()
		<-served
		return r
	}
	const restarts = 4
	for i := range restarts {
		run(time.Duration(300+100*i) * time.Millisecond)
	}
	r := startRelay(t, o)
	if len(accepted) < 40 {
		t.Fatalf("only %d messages accepted: the load did not run", len(accepted))
	}
	waitFor(t, "every accepted message delivered", func() bool {
		got := down.count()
		for _, tok := range accepted {
			if got[tok] == 0 {
				return false
			}
		}
		return true
	})
	waitFor(t, "the outbox to empty", func() bool { ids, _ := r.outbox.list(); return len(ids) == 0 })
	dups := 0
	for _, tok := range accepted {
		if n := down.count()[tok]; n > 1 {
			dups++
			t.Errorf("%s delivered %d times", tok, n)
		}
	}
	t.Logf("%d graceful restarts, %d messages acknowledged, %d delivered twice", restarts, len(accepted), dups)
}

// TestGracefulRestartNotACrash stops the relay gracefully three times
// while a message is being sanitized (a long PDF): the next start
// sanitizes it again and delivers it, rather than withholding it as a
// message that crashes the process.
func TestGracefulRestartNotACrash(t *testing.T) {
	o := testOptions(t)
	acc := startAcceptOnly(t, o)
	if err := sendMail(t, acc.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, simpleMessage); err != nil {
		t.Fatal(err)
	}
	id := mustList(t, acc.spool.incoming())[0]
	for range maxTries {
		started := make(chan struct{}, 1)
		o.hooks.sanitizeHook = func(ctx context.Context) {
			started <- struct{}{}
			<-ctx.Done() // sanitizing until the shutdown cuts it
		}
		r := listening(t, o)
		served := make(chan error, 1)
		go func() { served <- r.Serve() }()
		<-started
		if err := r.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		<-served
		if _, err := os.Stat(filepath.Join(r.spool.incoming(), id)); err != nil {
			t.Fatalf("the interrupted message left the spool: %v", err)
		}
	}
	o.hooks.sanitizeHook = nil
	r := startRelay(t, o)
	if got := deliveredOne(t, r, "the delivery"); strings.Contains(got, "Auto-Submitted: auto-generated") || !strings.Contains(got, "X-Mugai-Sanitized: ") {
		t.Fatalf("the message was withheld after graceful restarts: %q", got)
	}
	items, _ := r.quarantine.List(context.Background(), store.Filter{})
	if len(items) != 1 || items[0].Reason != "original" {
		t.Fatalf("held: %+v", items)
	}
}

// TestKill9AfterDownstream250 leaves the outbox as a kill -9 right after
// the downstream's 250 leaves it (the reply journalled, nothing else
// written: no database row, the state file still pending): the next
// start delivers the message no second time and finishes the entry.
func TestKill9AfterDownstream250(t *testing.T) {
	down := startFakeMTA(t)
	o := testOptions(t)
	o.Downstream.Addr = down.addr
	ob, err := openOutbox(o.outboxDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &Entry{ID: "20261203T000000Z-0123456789ab", Kind: KindMessage, From: "sender@example.com", OrigFrom: "sender@example.com", Created: time.Now().UTC(),
		Rcpts: []*RcptState{{Addr: "user@lg.example.jp", Status: StatusPending}, {Addr: "two@lg.example.jp", Status: StatusPending}}}
	if err := ob.put(e, strings.NewReader(simpleMessage)); err != nil {
		t.Fatal(err)
	}
	if err := ob.record(e.ID, map[string]result{"user@lg.example.jp": {ok: true, reply: "250 2.0.0 queued"}}); err != nil {
		t.Fatal(err)
	}
	r := startRelay(t, o)
	waitFor(t, "the entry to finish", func() bool { return !r.outbox.exists(e.ID) })
	got := down.messages()
	if len(got) != 1 || len(got[0].to) != 1 || got[0].to[0] != "two@lg.example.jp" {
		t.Fatalf("downstream got %+v, want one delivery to the recipient not yet delivered", got)
	}
}
