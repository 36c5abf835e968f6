package smtpproxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/enginetest"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/mail"
)

// testLogger discards logs unless -v.
func testLogger(t testing.TB) *slog.Logger {
	t.Helper()
	if testing.Verbose() {
		return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewJSONHandler(io.Discard, nil))
}

func testEngine(t testing.TB) *sanitizer.Engine {
	t.Helper()
	// The mail handler as app.NewEngine wires it, with the formats of
	// the parts (package app is not imported here: it may come to import
	// this package).
	return enginetest.New(t, sanitizer.Options{
		Logger:   testLogger(t),
		Handlers: mail.Handlers(mail.Options{}), Verifiers: mail.Verifiers(),
	}, nil)
}

// OpenTestStores opens the quarantine and the metadata database a relay
// with data in dataDir is given (as the service does), closed when the
// test ends.
func OpenTestStores(t testing.TB, dataDir string) (store.Quarantine, meta.Store) {
	t.Helper()
	q, err := store.NewFS(filepath.Join(dataDir, "quarantine"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := meta.OpenDB(context.Background(), filepath.Join(dataDir, "mugai.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m, err := meta.NewSQLite(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return q, m
}

// newRelay is New with the quarantine and database in o.DataDir.
func newRelay(t testing.TB, o Options, eng *sanitizer.Engine) (*Relay, error) {
	t.Helper()
	q, db := OpenTestStores(t, o.DataDir)
	return New(o, eng, q, db)
}

// testOptions are fast options on loopback: no delays.
func testOptions(t *testing.T) Options {
	t.Helper()
	return Options{
		DataDir: t.TempDir(), Listen: "127.0.0.1:0", Hostname: "mugai.test",
		Domains:      []string{"lg.example.jp", "localhost"},
		RetryInitial: 20 * time.Millisecond, RetryMax: 100 * time.Millisecond,
		ScanInterval: 50 * time.Millisecond, DrainTimeout: 2 * time.Second,
		Logger: testLogger(t),
	}
}

// listening returns a new relay listening on its SMTP address.
func listening(t *testing.T, o Options) *Relay {
	t.Helper()
	r, err := newRelay(t, o, testEngine(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Listen(); err != nil {
		t.Fatal(err)
	}
	return r
}

// listeningWith is listening with the metadata database md and a
// quarantine in o.DataDir.
func listeningWith(t *testing.T, o Options, md meta.Store) *Relay {
	t.Helper()
	q, err := store.NewFS(filepath.Join(o.DataDir, "quarantine"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(o, testEngine(t), q, md)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Listen(); err != nil {
		t.Fatal(err)
	}
	return r
}

// startRelay runs a whole relay (accept, process, deliver).
func startRelay(t *testing.T, o Options) *Relay {
	t.Helper()
	r := listening(t, o)
	serveRelay(t, r)
	return r
}

// serveRelay serves the listening relay r until the test ends.
func serveRelay(t *testing.T, r *Relay) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- r.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		<-done
	})
}

// startAcceptOnly runs only the SMTP side, so that the spool can be
// inspected.
func startAcceptOnly(t *testing.T, o Options) *Relay {
	t.Helper()
	r := listening(t, o)
	go r.server.Serve(r.listener)
	t.Cleanup(func() {
		r.server.Close()
		r.listener.stop()
	})
	return r
}

// wire is a raw SMTP client speaking lines.
type wire struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialWire(t *testing.T, addr string) *wire {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return &wire{t: t, c: c, br: bufio.NewReader(c)}
}

// reply reads one (possibly multi-line) reply and returns its last line.
func (w *wire) reply() string {
	w.t.Helper()
	var all []string
	for {
		line, err := w.br.ReadString('\n')
		if err != nil {
			return strings.Join(all, "|") + "<" + err.Error() + ">"
		}
		line = strings.TrimRight(line, "\r\n")
		all = append(all, line)
		if len(line) < 4 || line[3] != '-' {
			return strings.Join(all, "|")
		}
	}
}

func (w *wire) send(s string) {
	w.t.Helper()
	if _, err := io.WriteString(w.c, s); err != nil {
		w.t.Fatal(err)
	}
}

// cmd sends a line and returns the reply.
func (w *wire) cmd(line string) string {
	w.t.Helper()
	w.send(line + "\r\n")
	return w.reply()
}

// hello reads the greeting and says EHLO.
func (w *wire) hello() string {
	w.t.Helper()
	if g := w.reply(); !strings.HasPrefix(g, "220") {
		w.t.Fatalf("greeting %q", g)
	}
	return w.cmd("EHLO client.example.com")
}

// startTLS says STARTTLS, does the handshake with cfg (nil: any
// certificate), and says EHLO again inside the session.
func (w *wire) startTLS(cfg *tls.Config) tls.ConnectionState {
	w.t.Helper()
	expectPrefix(w.t, "STARTTLS", w.cmd("STARTTLS"), "220 2.0.0")
	if cfg == nil {
		cfg = &tls.Config{InsecureSkipVerify: true}
	}
	tc := tls.Client(w.c, cfg)
	if err := tc.Handshake(); err != nil {
		w.t.Fatal(err)
	}
	w.c, w.br = tc, bufio.NewReader(tc)
	expectPrefix(w.t, "EHLO in TLS", w.cmd("EHLO client.example.com"), "250")
	return tc.ConnectionState()
}

// dialEnvelope connects, says EHLO and opens a transaction from
// a@example.com to user@lg.example.jp, each step answered 250.
func dialEnvelope(t *testing.T, addr string) *wire {
	t.Helper()
	w := dialWire(t, addr)
	w.hello()
	expectPrefix(t, "MAIL", w.cmd("MAIL FROM:<a@example.com>"), "250")
	expectPrefix(t, "RCPT", w.cmd("RCPT TO:<user@lg.example.jp>"), "250")
	return w
}

func expectPrefix(t *testing.T, what, got, want string) {
	t.Helper()
	if !strings.HasPrefix(got, want) {
		t.Fatalf("%s: got %q, want %q…", what, got, want)
	}
}

// spooled returns the accepted messages' contents.
func spooled(t *testing.T, r *Relay) []string {
	t.Helper()
	ids, err := listIDs(r.spool.incoming())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, id := range ids {
		b, err := os.ReadFile(filepath.Join(r.spool.incoming(), id))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// spooledMessage returns the message r spooled, the one there is, after
// the envelope line its spool file begins with.
func spooledMessage(t *testing.T, r *Relay) string {
	t.Helper()
	m := spooled(t, r)
	if len(m) != 1 {
		t.Fatalf("%d spooled", len(m))
	}
	return m[0][strings.IndexByte(m[0], '\n')+1:]
}

// waitFor polls cond until it holds or the test deadline nears.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// maildirFiles returns the contents of the messages in a recipient's
// Maildir.
func maildirFiles(t *testing.T, r *Relay, rcpt string) []string {
	t.Helper()
	dir := filepath.Join(MaildirFolder(r.opts.maildirDir(), rcpt), "new")
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// deliveredOne waits for the one message in user@lg.example.jp's
// Maildir (what names it) and returns it.
func deliveredOne(t *testing.T, r *Relay, what string) string {
	t.Helper()
	waitFor(t, what, func() bool { return len(maildirFiles(t, r, "user@lg.example.jp")) == 1 })
	return maildirFiles(t, r, "user@lg.example.jp")[0]
}

// timeOutSanitize sets o so that every message runs past ProcessTimeout:
// the deadline has passed before the engine starts.
func timeOutSanitize(o *Options) {
	o.ProcessTimeout = time.Millisecond
	o.hooks.sanitizeHook = func(context.Context) { time.Sleep(20 * time.Millisecond) }
}

const simpleMessage = "From: sender@example.com\r\nTo: user@lg.example.jp\r\nSubject: hello\r\nDate: Mon, 1 Jan 2026 00:00:00 +0900\r\nMessage-ID: <1@example.com>\r\n\r\nHello, this is a test.\r\n"
