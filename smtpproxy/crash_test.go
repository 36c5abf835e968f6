package smtpproxy_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mugai-project/mugai/internal/freeport"
)

// sinkMTA is the downstream for the crash test: a go-smtp server that
// counts deliveries by the token in the Subject.
type sinkMTA struct {
	addr string
	mu   sync.Mutex
	got  map[string]int
}

func startSink(t *testing.T) *sinkMTA {
	t.Helper()
	k := &sinkMTA{got: map[string]int{}}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &sinkSession{k: k}, nil }))
	s.Domain = "sink.test"
	s.ReadTimeout, s.WriteTimeout = 30*time.Second, 30*time.Second
	s.ErrorLog = nopLog{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	k.addr = l.Addr().String()
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return k
}

type nopLog struct{}

func (nopLog) Printf(string, ...any) {}
func (nopLog) Println(...any)        {}

type sinkSession struct{ k *sinkMTA }

func (s *sinkSession) Reset()                               {}
func (s *sinkSession) Logout() error                        { return nil }
func (s *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *sinkSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, m.Body)
	subj, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	s.k.mu.Lock()
	s.k.got[strings.TrimSpace(subj)]++
	s.k.mu.Unlock()
	return nil
}

func (k *sinkMTA) count(tok string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.got[tok]
}

func buildMugai(t *testing.T) string {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			t.Skip("no go command to build the binary")
		}
	}
	bin := filepath.Join(t.TempDir(), "mugai")
	out, err := exec.Command(goBin, "build", "-o", bin, "../cmd/mugai").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestKill9DuringLoad kills the relay with SIGKILL at random moments
// while clients send, restarts it each time, and checks that every
// message that got 250 is delivered at least once and at most twice
// (the window between a delivery and recording it).
func TestKill9DuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary many times")
	}
	bin := buildMugai(t)
	sink := startSink(t)
	dir := t.TempDir()
	port := freeport.Port(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := filepath.Join(dir, "mugai.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`data_dir = %q
[log]
level = "warn"
[smtp]
listen = %q
hostname = "mugai.test"
domains = ["lg.example.jp"]
drain_timeout = "1s"
[process]
workers = 2
[deliver]
relay = %q
retry_initial = "50ms"
retry_max = "200ms"
scan_interval = "100ms"
[admin]
listen = ""
[web]
upload_listen = ""
download_listen = ""
`, filepath.Join(dir, "data"), addr, sink.addr)), 0o644)

	start := func(round int) *exec.Cmd {
		cmd := exec.Command(bin, "serve", "-config", cfg)
		logf, _ := os.Create(filepath.Join(dir, fmt.Sprintf("log-%d", round)))
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "mugai to listen", func() bool {
			c, err := net.Dial("tcp", addr)
			if err == nil {
				c.Close()
			}
			return err == nil
		})
		return cmd
	}

	var mu sync.Mutex
	var accepted []string
	next := 0
	const rounds, senders = 8, 4
	for round := range rounds {
		cmd := start(round)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					mu.Lock()
					next++
					tok := fmt.Sprintf("load-%d", next)
					mu.Unlock()
					msg := "From: sender@example.com\r\nTo: user@lg.example.jp\r\nSubject: " + tok + "\r\nMessage-ID: <" + tok + "@example.com>\r\n\r\nmessage " + tok + "\r\n"
					if err := send(addr, msg); err != nil {
						return // killed: not accepted
					}
					mu.Lock()
					accepted = append(accepted, tok)
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(100+rand.IntN(900)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		close(stop)
		wg.Wait()
	}
	cmd := start(rounds)
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	if len(accepted) < 50 {
		t.Fatalf("only %d messages accepted: the load did not run", len(accepted))
	}
	waitUntil(t, "every accepted message delivered", func() bool {
		for _, tok := range accepted {
			if sink.count(tok) == 0 {
				return false
			}
		}
		return true
	})
	dups := 0
	for _, tok := range accepted {
		switch n := sink.count(tok); {
		case n > 2:
			t.Errorf("%s delivered %d times", tok, n)
		case n == 2:
			dups++
		}
	}
	t.Logf("%d kills, %d messages acknowledged, all delivered, %d twice", rounds, len(accepted), dups)

	// The operator's commands on the same data folder, beside the
	// running server.
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("mugai %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if out := run("config", "check", "-config", cfg); !strings.HasPrefix(out, "ok:") {
		t.Errorf("config check: %q", out)
	}
	held := strings.Count(run("quarantine", "-config", cfg, "list"), " held ")
	if held < len(accepted) {
		t.Errorf("quarantine lists %d held originals, %d accepted", held, len(accepted))
	}
	run("queue", "-config", cfg, "list")
	if out, err := exec.Command(bin, "quarantine", "-config", cfg, "release", "-by", "test", "x").CombinedOutput(); err == nil || !strings.Contains(string(out), "disabled") {
		t.Errorf("release without allow_release: %v %q", err, out)
	}
}

// send submits one message in clear (the relay's certificate is
// self-signed).
func send(addr, msg string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.SendMail("sender@example.com", []string{"user@lg.example.jp"}, strings.NewReader(msg))
}
