package smtpproxy

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/sanitizer"
)

// sendMail submits one message with go-smtp's client.
func sendMail(t *testing.T, addr, from string, to []string, msg string) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, rc := range to {
		if err := c.Rcpt(rc, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	io.WriteString(w, msg)
	if _, err := w.CloseWithResponse(); err != nil {
		return err
	}
	return c.Quit()
}

// fakeMTA is a go-smtp server standing in for a peer MTA where a fault
// must be injected on demand (the first N deliveries answer 451, or
// every one 550); a test double for the fault only, the client side is
// the real delivery code.
type fakeMTA struct {
	addr string
	mu   sync.Mutex
	// fault returns the reply for the n-th DATA (from 1), nil for 250.
	fault     func(n int) error
	rcptFault func(rcpt string) error
	// delay is how long each DATA takes before its reply, as a busy
	// MTA's would: it keeps deliveries in flight.
	delay time.Duration
	// oneTransaction makes the peer drop a session at its second MAIL,
	// as a peer that closed an idle session looks to its client.
	oneTransaction bool
	n              int
	sessions       int // sessions opened
	got            []fakeMsg
}

type fakeMsg struct {
	from string
	to   []string
	data string
}

func startFakeMTA(t testing.TB) *fakeMTA {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startFakeMTAOn(t, l)
}

// startFakeMTAOn serves the fake MTA on l.
func startFakeMTAOn(t testing.TB, l net.Listener) *fakeMTA {
	t.Helper()
	f := &fakeMTA{}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		f.mu.Lock()
		f.sessions++
		f.mu.Unlock()
		return &fakeSession{f: f, conn: c}, nil
	}))
	s.Domain = "lgwan.test"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.ErrorLog = slogPrintf{testLogger(t)}
	f.addr = l.Addr().String()
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return f
}

func (f *fakeMTA) sessionCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sessions
}

func (f *fakeMTA) messages() []fakeMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeMsg(nil), f.got...)
}

type fakeSession struct {
	f      *fakeMTA
	conn   *smtp.Conn
	from   string
	to     []string
	mailed bool
}

func (s *fakeSession) Reset()        { s.from, s.to = "", nil }
func (s *fakeSession) Logout() error { return nil }
func (s *fakeSession) Mail(from string, _ *smtp.MailOptions) error {
	s.f.mu.Lock()
	drop := s.f.oneTransaction && s.mailed
	s.f.mu.Unlock()
	if drop {
		s.conn.Conn().Close()
		return errors.New("dropped")
	}
	s.from, s.mailed = from, true
	return nil
}
func (s *fakeSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.f.mu.Lock()
	rf := s.f.rcptFault
	s.f.mu.Unlock()
	if rf != nil {
		if err := rf(to); err != nil {
			return err
		}
	}
	s.to = append(s.to, to)
	return nil
}
func (s *fakeSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	time.Sleep(s.f.delay)
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.f.n++
	if s.f.fault != nil {
		if err := s.f.fault(s.f.n); err != nil {
			return err
		}
	}
	s.f.got = append(s.f.got, fakeMsg{from: s.from, to: s.to, data: string(b)})
	return nil
}

var (
	err451 = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	err550 = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
)

// attachmentLine is a line of base64 that only the original carries.
const attachmentLine = "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

const mixedMessage = "From: sender@example.com\r\nTo: user@lg.example.jp\r\nSubject: invoice\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nPlease open.\r\n" +
	"--b\r\nContent-Type: application/octet-stream; name=setup.exe\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
	attachmentLine + "\r\n--b--\r\n"

func TestMaildirDelivery(t *testing.T) {
	r := startRelay(t, testOptions(t))
	if err := sendMail(t, r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp", "two@lg.example.jp"}, mixedMessage); err != nil {
		t.Fatal(err)
	}
	for _, rc := range []string{"user@lg.example.jp", "two@lg.example.jp"} {
		waitFor(t, "maildir delivery to "+rc, func() bool { return len(maildirFiles(t, r, rc)) == 1 })
		got := maildirFiles(t, r, rc)[0]
		if strings.Contains(got, attachmentLine) || strings.Contains(got, mixedMessage) {
			t.Fatal("the original's bytes were delivered")
		}
		if !strings.Contains(got, "X-Mugai-ID: ") {
			t.Fatalf("delivered message without our ID: %q", got)
		}
	}
	ms, _ := r.meta.Messages(context.Background(), meta.Filter{})
	if len(ms) != 1 {
		t.Fatalf("%d rows", len(ms))
	}
	waitFor(t, "state delivered", func() bool {
		m, _ := r.meta.Message(context.Background(), ms[0].ID)
		return m.State == meta.Delivered
	})
	it, rc, err := r.quarantine.Get(context.Background(), ms[0].ID)
	if err != nil {
		t.Fatalf("original not held: %v", err)
	}
	orig, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.HasSuffix(orig, []byte(mixedMessage)) || it.State != store.Held {
		t.Fatalf("held original differs or not held: %s", it.State)
	}
}

// TestSanitizerPanic: a panic in the sanitizer still gives the
// recipients a notice and keeps the original.
func TestSanitizerPanic(t *testing.T) {
	o := testOptions(t)
	o.hooks.sanitizeHook = func(context.Context) { panic("boom") }
	r := startRelay(t, o)
	if err := sendMail(t, r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, simpleMessage); err != nil {
		t.Fatal(err)
	}
	got := deliveredOne(t, r, "the notice")
	if !strings.Contains(got, "Auto-Submitted: auto-generated") || strings.Contains(got, "Hello, this is a test.") {
		t.Fatalf("not a notice: %q", got)
	}
	items, _ := r.quarantine.List(context.Background(), store.Filter{})
	if len(items) != 1 || items[0].Reason != "internal-error" {
		t.Fatalf("held: %+v", items)
	}
}

// TestSanitizerTimeout: a message that takes the sanitizer past
// ProcessTimeout (a decompression bomb, a pathological PDF) is withheld:
// the recipients get a notice, the original is held as "timeout".
func TestSanitizerTimeout(t *testing.T) {
	o := testOptions(t)
	timeOutSanitize(&o)
	r := startRelay(t, o)
	if err := sendMail(t, r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, mixedMessage); err != nil {
		t.Fatal(err)
	}
	got := deliveredOne(t, r, "the notice")
	if !strings.Contains(got, "Auto-Submitted: auto-generated") || strings.Contains(got, "Please open.") || strings.Contains(got, attachmentLine) {
		t.Fatalf("not a notice: %q", got)
	}
	items, _ := r.quarantine.List(context.Background(), store.Filter{})
	if len(items) != 1 || items[0].Reason != sanitizer.ReasonTimeout {
		t.Fatalf("held: %+v", items)
	}
}

func TestDownstream451ThenDelivered(t *testing.T) {
	down := startFakeMTA(t)
	down.fault = func(n int) error {
		if n <= 2 {
			return err451
		}
		return nil
	}
	o := testOptions(t)
	o.Downstream.Addr = down.addr
	r := startRelay(t, o)
	if err := sendMail(t, r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, simpleMessage); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery after retries", func() bool { return len(down.messages()) == 1 })
	m := down.messages()[0]
	if m.from != "" && m.from != "sender@example.com" || len(m.to) != 1 || m.to[0] != "user@lg.example.jp" {
		t.Fatalf("envelope %+v", m)
	}
	ids, _ := r.outbox.list()
	waitFor(t, "the outbox to empty", func() bool { ids, _ = r.outbox.list(); return len(ids) == 0 })
	ms, _ := r.meta.Messages(context.Background(), meta.Filter{})
	att, _ := r.meta.Attempts(context.Background(), ms[0].ID)
	deferred := 0
	for _, a := range att {
		if a.Result == "deferred" {
			deferred++
		}
	}
	if deferred != 2 {
		t.Fatalf("%d deferred attempts recorded, want 2: %+v", deferred, att)
	}
}

// TestDownstream550DSN: a permanent failure produces one DSN with a null
// sender to the original sender through the return path.
func TestDownstream550DSN(t *testing.T) {
	down, back := startFakeMTA(t), startFakeMTA(t)
	down.rcptFault = func(rcpt string) error {
		if strings.HasPrefix(rcpt, "gone@") {
			return err550
		}
		return nil
	}
	o := testOptions(t)
	o.Downstream.Addr, o.ReturnPath.Addr = down.addr, back.addr
	r := startRelay(t, o)
	if err := sendMail(t, r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp", "gone@lg.example.jp"}, simpleMessage); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the DSN", func() bool { return len(back.messages()) == 1 })
	dsn := back.messages()[0]
	if dsn.from != "" || len(dsn.to) != 1 || dsn.to[0] != "sender@example.com" {
		t.Fatalf("DSN envelope %+v", dsn)
	}
	for _, want := range []string{"multipart/report; report-type=delivery-status", "Final-Recipient: rfc822; gone@lg.example.jp", "Action: failed", "Status: 5.1.1", "Content-Type: message/delivery-status"} {
		if !strings.Contains(dsn.data, want) {
			t.Errorf("DSN lacks %q", want)
		}
	}
	if strings.Contains(dsn.data, "user@lg.example.jp") {
		t.Error("DSN names the delivered recipient")
	}
	for _, want := range []string{"Diagnostic-Code: smtp; 550 5.1.1 no such user", "Content-Type: text/rfc822-headers\r\n", "\r\nSubject: hello\r\n", "\r\nMessage-ID: <1@example.com>\r\n"} {
		if !strings.Contains(dsn.data, want) {
			t.Errorf("DSN lacks %q", want)
		}
	}
	if human := dsnHumanPart(t, dsn.data); !strings.Contains(human, "件名: hello") || !strings.Contains(human, "Subject: hello") {
		t.Errorf("the DSN's explanation does not name the Subject: %q", human)
	}
	if got := down.messages(); len(got) != 1 || len(got[0].to) != 1 {
		t.Fatalf("downstream got %+v", got)
	}

	t.Run("null sender gets no DSN", func(t *testing.T) {
		if err := sendMail(t, r.Addr().String(), "", []string{"gone@lg.example.jp"}, simpleMessage); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the outbox to empty", func() bool {
			ids, _ := r.outbox.list()
			sp, _ := listIDs(r.spool.incoming())
			return len(ids) == 0 && len(sp) == 0
		})
		if n := len(back.messages()); n != 1 {
			t.Fatalf("%d DSNs, want still 1", n)
		}
	})
}

// TestDownstreamDownThenUp: a refused connection defers; when the MTA
// comes up, everything is delivered.
func TestDownstreamDownThenUp(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens: connection refused
	o := testOptions(t)
	o.Downstream.Addr = addr
	r := startRelay(t, o)
	const n = 20
	for range n {
		if err := sendMail(t, r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, simpleMessage); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "deferrals", func() bool {
		ms, _ := r.meta.Messages(context.Background(), meta.Filter{})
		if len(ms) != n {
			return false
		}
		att, _ := r.meta.Attempts(context.Background(), ms[n-1].ID)
		return len(att) >= 2
	})
	// The MTA comes up on the same address.
	f := &fakeMTA{}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &fakeSession{f: f}, nil }))
	s.ErrorLog = slogPrintf{testLogger(t)}
	l, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port reuse: %v", err)
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	waitFor(t, "all delivered", func() bool { return len(f.messages()) == n })
}

var _ = errors.New

// dsnHumanPart returns the decoded first part of a DSN.
func dsnHumanPart(t *testing.T, msg string) string {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := multipart.NewReader(m.Body, params["boundary"]).NextPart()
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestQueueExpiryDSN: a message that cannot be delivered within the
// queue lifetime is bounced with a DSN saying so.
func TestQueueExpiryDSN(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	back := startFakeMTA(t)
	o := testOptions(t)
	o.Downstream.Addr, o.ReturnPath.Addr = dead, back.addr
	o.QueueLifetime = 300 * time.Millisecond
	r := startRelay(t, o)
	if err := sendMail(t, r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, simpleMessage); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the expiry DSN", func() bool { return len(back.messages()) == 1 })
	dsn := back.messages()[0].data
	for _, want := range []string{"Status: 5.4.7", "Action: failed", "queue lifetime expired"} {
		if !strings.Contains(dsn, want) {
			t.Errorf("DSN lacks %q", want)
		}
	}
}

// TestPipeliningAbuse sends a thousand commands in one write, more
// recipients than allowed and DATA without a message: every command gets
// its reply in order, the limits hold, and the relay still serves.
func TestPipeliningAbuse(t *testing.T) {
	o := testOptions(t)
	o.MaxRecipients = 5
	r := startAcceptOnly(t, o)
	w := dialWire(t, r.Addr().String())
	w.hello()
	var b strings.Builder
	b.WriteString("MAIL FROM:<a@example.com>\r\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "RCPT TO:<u%d@lg.example.jp>\r\n", i)
	}
	b.WriteString("RSET\r\nNOOP\r\n")
	w.send(b.String())
	expectPrefix(t, "MAIL", w.reply(), "250")
	ok := 0
	for range 1000 {
		got := w.reply()
		if strings.Contains(got, "<EOF>") {
			break // go-smtp may end a session after many errors
		}
		switch {
		case strings.HasPrefix(got, "250"):
			ok++
		case strings.HasPrefix(got, "452"), strings.HasPrefix(got, "500 5.5.1"):
		default:
			t.Fatalf("unexpected reply %q", got)
		}
	}
	if ok != 5 {
		t.Fatalf("%d recipients accepted, limit 5", ok)
	}
	if n := len(spooled(t, r)); n != 0 {
		t.Fatalf("%d spooled", n)
	}
	v := dialWire(t, r.Addr().String())
	expectPrefix(t, "EHLO after", v.hello(), "250")
}

// TestCrashLoopWithheld: a message whose processing has stopped the
// process maxTries times (a parser crash that recover cannot catch) is
// withheld with a notice at the next start, without being parsed again.
func TestCrashLoopWithheld(t *testing.T) {
	o := testOptions(t)
	acc := startAcceptOnly(t, o)
	if err := sendMail(t, acc.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, simpleMessage); err != nil {
		t.Fatal(err)
	}
	ids, err := listIDs(acc.spool.incoming())
	if err != nil || len(ids) != 1 {
		t.Fatalf("spool: %v %v", ids, err)
	}
	// Each earlier start died inside the sanitizer.
	for range maxTries {
		if _, err := acc.spool.startTry(ids[0]); err != nil {
			t.Fatal(err)
		}
	}
	o.Listen = "127.0.0.1:0"
	parsed := false
	o.hooks.sanitizeHook = func(context.Context) { parsed = true }
	r := startRelay(t, o)
	if got := deliveredOne(t, r, "the notice"); strings.Contains(got, "Hello, this is a test.") {
		t.Fatalf("the message was delivered: %q", got)
	}
	if parsed {
		t.Error("the message was parsed again")
	}
	items, _ := r.quarantine.List(context.Background(), store.Filter{})
	if len(items) != 1 || items[0].ID != ids[0] {
		t.Fatalf("held: %+v", items)
	}
	if rep := string(items[0].Report); !strings.Contains(rep, "crashed the process 3 times") {
		t.Errorf("the report does not say the process crashed: %s", rep)
	}
	if marks, _ := filepath.Glob(filepath.Join(r.spool.tries(), ids[0]+"*")); len(marks) != 0 {
		t.Errorf("the attempt count outlived the spool entry: %v", marks)
	}
}

// TestTryMarksCounted: each start of processing that does not return
// leaves one mark, a start that returns takes its own back, and marks of
// a message no longer in the spool go at the next start (a mark is a
// link to the spool file and would keep its bytes).
func TestTryMarksCounted(t *testing.T) {
	s := &spool{dir: t.TempDir()}
	if err := s.init(); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"m1", "gone"} {
		if err := os.WriteFile(filepath.Join(s.incoming(), id), []byte("{}\nmessage"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	start := func(want int) {
		t.Helper()
		if n, err := s.startTry("m1"); err != nil || n != want {
			t.Fatalf("%d crashes counted, want %d (%v)", n, want, err)
		}
	}
	start(0) // crashed
	start(1) // crashed
	start(2) // returned
	s.endTry("m1", 2)
	start(2) // returned
	s.endTry("m1", 2)
	if marks, _ := filepath.Glob(filepath.Join(s.tries(), "m1.*")); len(marks) != 2 {
		t.Fatalf("marks after two crashes: %v", marks)
	}
	s.startTry("gone")
	os.Remove(filepath.Join(s.incoming(), "gone"))
	os.WriteFile(filepath.Join(s.tries(), "old"), []byte("2\n"), 0o600) // an earlier version's count
	if err := s.init(); err != nil {
		t.Fatal(err)
	}
	left, _ := os.ReadDir(s.tries())
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "m1.1 m1.2" {
		t.Fatalf("marks after a restart: %v, want m1.1 m1.2", names)
	}
}
