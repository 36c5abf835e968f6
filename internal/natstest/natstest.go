// Package natstest runs a throwaway NATS JetStream cluster for tests:
// n nats-server processes (Debian's nats-server, or one on PATH) on free
// loopback ports, clustered by routes, each with JetStream storing into
// its own temporary folder, stopped and removed when the test ends. A
// server can be killed with SIGKILL and started again on the same ports
// and folder, as a crashed host comes back. It skips the test when
// nats-server is missing.
package natstest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mugai-project/mugai/internal/freeport"
)

// Cluster is a running test cluster.
type Cluster struct {
	t       testing.TB
	bin     string
	dir     string
	servers []*server
}

type server struct {
	name    string
	port    int // client port
	conf    string
	logFile string
	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
}

// binary finds nats-server, "" when missing.
func binary() string {
	if p, err := exec.LookPath("nats-server"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nats-server"); err == nil {
		return "/usr/sbin/nats-server"
	}
	return ""
}

// Start starts a cluster of n servers (n = 1: a single JetStream server
// without routes) and waits until JetStream answers on every one.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	bin := binary()
	if bin == "" {
		t.Skip("natstest: nats-server not found on PATH or at /usr/sbin/nats-server: install Debian's nats-server (make test does)")
	}
	c := &Cluster{t: t, bin: bin, dir: t.TempDir()}
	routes := make([]int, n)
	for i := range n {
		routes[i] = freeport.Port(t)
		c.servers = append(c.servers, &server{name: fmt.Sprintf("n%d", i+1), port: freeport.Port(t)})
	}
	var routeURLs []string
	for _, p := range routes {
		routeURLs = append(routeURLs, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
	}
	for i, s := range c.servers {
		store := filepath.Join(c.dir, s.name)
		if err := os.MkdirAll(store, 0o700); err != nil {
			t.Fatal(err)
		}
		conf := fmt.Sprintf("server_name: %s\nlisten: 127.0.0.1:%d\njetstream { store_dir: %q, max_memory_store: 256MB, max_file_store: 4GB }\n",
			s.name, s.port, store)
		if n > 1 {
			conf += fmt.Sprintf("cluster { name: mugaitest, listen: 127.0.0.1:%d, routes: [%s] }\n", routes[i], strings.Join(routeURLs, ", "))
		}
		s.conf = filepath.Join(c.dir, s.name+".conf")
		s.logFile = filepath.Join(c.dir, s.name+".log")
		if err := os.WriteFile(s.conf, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(c.stopAll)
	for i := range c.servers {
		c.Restart(i)
	}
	for i := range c.servers {
		c.WaitReady(i)
	}
	return c
}

// URLs is the client URL of every server, comma-separated, as a NATS
// client takes them.
func (c *Cluster) URLs() string {
	var u []string
	for i := range c.servers {
		u = append(u, c.URL(i))
	}
	return strings.Join(u, ",")
}

// URL is server i's client URL.
func (c *Cluster) URL(i int) string { return fmt.Sprintf("nats://127.0.0.1:%d", c.servers[i].port) }

// take hands over server s's running process, nil when it runs none.
func (s *server) take() (*exec.Cmd, chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	return cmd, done
}

// Kill ends server i with SIGKILL and waits for it to exit.
func (c *Cluster) Kill(i int) {
	cmd, done := c.servers[i].take()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-done
}

// Restart starts server i again (or for the first time) on its ports
// and folder; it does not wait for JetStream (WaitReady does).
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	s := c.servers[i]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return
	}
	logf, err := os.OpenFile(s.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(c.bin, "-c", s.conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		c.t.Fatalf("natstest: start %s: %v", s.name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	s.cmd, s.done = cmd, done
}

// WaitReady waits until server i serves JetStream requests; it fails the
// test after a minute, with the server's log.
func (c *Cluster) WaitReady(i int) {
	c.t.Helper()
	deadline := time.Now().Add(time.Minute)
	var last error
	for time.Now().Before(deadline) {
		if last = c.ping(i); last == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	log, _ := os.ReadFile(c.servers[i].logFile)
	c.t.Fatalf("natstest: %s not ready: %v\n%s", c.servers[i].name, last, log)
}

func (c *Cluster) ping(i int) error {
	nc, err := nats.Connect(c.URL(i), nats.Timeout(time.Second), nats.NoReconnect())
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = js.AccountInfo(ctx)
	return err
}

func (c *Cluster) stopAll() {
	for _, s := range c.servers {
		if cmd, done := s.take(); cmd != nil {
			cmd.Process.Signal(os.Interrupt)
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				<-done
			}
		}
	}
}

// Connect is a client's JetStream on the servers of urls (one URL or
// several, comma-separated), reconnecting for ever as mugai's nodes do,
// with opts (a trace of its requests), closed when the test ends.
func Connect(t testing.TB, urls string, opts ...jetstream.JetStreamOpt) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(urls, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return js
}
