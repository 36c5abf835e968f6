package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mugai-project/mugai/internal/freeport"
	"github.com/mugai-project/mugai/internal/meta/pgtest"
	"github.com/mugai-project/mugai/internal/natstest"
	"github.com/mugai-project/mugai/smtpproxy"
)

// sink is the LGWAN MTA of the scale-out test: a go-smtp server that
// counts, for each test mail, how many times it was delivered, and the
// deliveries to each recipient. (Postfix would hide a duplicate in its
// own queue; this counts each DATA.)
type sink struct {
	addr string
	mu   sync.Mutex
	got  map[int]int    // mail number → deliveries
	to   map[string]int // recipient → deliveries
	// refuse is a recipient answered with 550 5.1.1 at RCPT, deferTo
	// one answered with 451 4.3.0 (a greylisting MTA's reply).
	refuse, deferTo string
}

var mailNumber = regexp.MustCompile(`scaleout-mail-(\d+)`)

func startSink(t testing.TB) *sink { return startSinkOn(t, "127.0.0.1:0") }

// startSinkOn is startSink on the address addr.
func startSinkOn(t testing.TB, addr string) *sink {
	t.Helper()
	k := &sink{got: map[int]int{}, to: map[string]int{}}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{k: k}, nil }))
	s.Domain = "lgwan.test"
	s.ReadTimeout, s.WriteTimeout = 30*time.Second, 30*time.Second
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	k.addr = l.Addr().String()
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return k
}

// set changes what the sink refuses and defers.
func (k *sink) set(refuse, deferTo string) {
	k.mu.Lock()
	k.refuse, k.deferTo = refuse, deferTo
	k.mu.Unlock()
}

type sinkSession struct {
	k     *sink
	rcpts []string
}

func (s *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.k.mu.Lock()
	refused, deferred := to == s.k.refuse, to == s.k.deferTo
	s.k.mu.Unlock()
	switch {
	case refused:
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	case deferred:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}
func (s *sinkSession) Reset()        { s.rcpts = nil }
func (s *sinkSession) Logout() error { return nil }
func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.k.mu.Lock()
	defer s.k.mu.Unlock()
	for _, rc := range s.rcpts {
		s.k.to[rc]++
	}
	if m := mailNumber.FindSubmatch(b); m != nil {
		n, _ := strconv.Atoi(string(m[1]))
		s.k.got[n]++
	}
	return nil
}

// delivered is how many times rcpt got a mail.
func (k *sink) delivered(rcpt string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.to[rcpt]
}

func (k *sink) count(n int) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.got[n]
}

// node is one mugai process of the cluster.
type node struct {
	name, role, conf, smtp, admin, log string
	// database, nats and downstream are its [cluster] and relay; dir its
	// folder.
	database, nats, downstream, dir string
	// returnPath is the relay for DSNs, "" for none; upload and download
	// the sites' addresses, "" for no sites. Set before start.
	returnPath, upload, download string
	// quota, if set, is the CPU quota the process runs in.
	quota *cpuQuota
	mu    sync.Mutex
	cmd   *exec.Cmd
	done  chan struct{}
}

// newNode is a node delivering to downstream; with natsURLs "" it is a
// single machine (no [cluster]).
func newNode(t testing.TB, name, role, database, natsURLs, downstream string) *node {
	t.Helper()
	dir := t.TempDir()
	n := &node{name: name, role: role, conf: filepath.Join(dir, "mugai.toml"), smtp: freeport.Addr(t), admin: freeport.Addr(t), log: filepath.Join(dir, "mugai.log"),
		database: database, nats: natsURLs, downstream: downstream, dir: dir}
	t.Cleanup(n.stop)
	return n
}

// writeConf writes the node's configuration file.
func (n *node) writeConf(t testing.TB) {
	t.Helper()
	conf := fmt.Sprintf(`data_dir = %q
[log]
level = %q
[smtp]
listen = %q
hostname = %q
domains = ["lg.example.jp"]
drain_timeout = "2s"
[deliver]
relay = %q
scan_interval = "200ms"
retry_initial = "200ms"
retry_max = "1s"
[return_path]
relay = %q
[admin]
listen = %q
[web]
upload_listen = %q
download_listen = %q
plain_http = true
`, filepath.Join(n.dir, "data"), logLevel(), n.smtp, n.name, n.downstream, n.returnPath, n.admin, n.upload, n.download)
	if n.nats != "" {
		conf += fmt.Sprintf(`[cluster]
database = %q
nats = %q
replicas = 3
role = %q
node = %q
ack_wait = "5s"
`, n.database, n.nats, n.role, n.name)
	}
	if err := os.WriteFile(n.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
}

// logLevel is the nodes' log level: warn, or MUGAI_SCALEOUT_LOG.
func logLevel() string {
	if l := os.Getenv("MUGAI_SCALEOUT_LOG"); l != "" {
		return l
	}
	return "warn"
}

func (n *node) start(t testing.TB) {
	t.Helper()
	n.writeConf(t)
	logf, err := os.OpenFile(n.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	argv := []string{mugaiBin, "serve", "-config", n.conf}
	if n.quota != nil {
		argv = n.quota.command(argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	n.mu.Lock()
	n.cmd, n.done = cmd, done
	n.mu.Unlock()
	addrs := []string{n.admin}
	if n.role == "all" {
		addrs = append(addrs, n.smtp)
		if n.upload != "" {
			addrs = append(addrs, n.upload, n.download)
		}
	}
	for _, a := range addrs {
		for i := 0; ; i++ {
			c, err := net.Dial("tcp", a)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-done:
				b, _ := os.ReadFile(n.log)
				t.Fatalf("%s exited:\n%s", n.name, tail(b, 6000))
			case <-time.After(100 * time.Millisecond):
			}
			if i == 1200 {
				b, _ := os.ReadFile(n.log)
				t.Fatalf("%s does not listen on %s:\n%s", n.name, a, tail(b, 6000))
			}
		}
	}
}

// kill ends the node with SIGKILL, as a crashed host.
func (n *node) kill() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.cmd = nil
	n.mu.Unlock()
	if cmd != nil {
		cmd.Process.Kill()
		<-done
	}
}

func (n *node) stop() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.cmd = nil
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

func (n *node) up() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cmd != nil
}

// metric reads one counter from the node's /metrics.
func (n *node) metric(t testing.TB, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + n.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == name {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	t.Fatalf("%s: no metric %s", n.name, name)
	return 0
}

// sendOne sends mail number i through the node and reports whether it
// was acknowledged with 250.
func sendOne(addr string, i int) bool {
	return sendMessage(addr, fmt.Sprintf("From: sender@example.com\r\nTo: staff@lg.example.jp\r\nSubject: scaleout-mail-%d\r\n\r\nThis is scaleout-mail-%d.\r\n", i, i))
}

// sendMessage sends msg to staff@lg.example.jp and reports whether it
// was acknowledged with 250.
func sendMessage(addr, msg string) bool { return sendMessageTo(addr, "staff@lg.example.jp", msg) }

// sendMessageTo sends msg from sender@example.com to rcpt and reports
// whether it was acknowledged with 250.
func sendMessageTo(addr, rcpt, msg string) bool {
	c, err := smtp.Dial(addr)
	if err != nil {
		return false
	}
	defer c.Close()
	if c.Mail("sender@example.com", nil) != nil || c.Rcpt(rcpt, nil) != nil {
		return false
	}
	w, err := c.Data()
	if err != nil {
		return false
	}
	io.WriteString(w, msg)
	if _, err := w.CloseWithResponse(); err != nil {
		return false
	}
	c.Quit()
	return true
}

// TestScaleOutSurvivesKills: three mugai processes (two with an SMTP
// listener, one worker) on one PostgreSQL and a 3-server NATS
// JetStream cluster take mail on both listeners while one mugai node
// and one NATS server are killed with SIGKILL and started again. Every
// mail that got 250 is delivered downstream; the duplicates (logged)
// are at most the jobs and sessions in flight at the kills; the worker
// took jobs; `mugai cluster status` sees the three nodes. It sends 1,000
// mails (about a minute on two cores), or MUGAI_SCALEOUT_MAILS.
func TestScaleOutSurvivesKills(t *testing.T) {
	if testing.Short() {
		t.Skip("a cluster of processes")
	}
	total := 1000
	if v, err := strconv.Atoi(os.Getenv("MUGAI_SCALEOUT_MAILS")); err == nil && v > 0 {
		total = v
	}
	db := pgtest.Start(t).NewDatabase(t)
	nc := natstest.Start(t, 3)
	down := startSink(t)
	nodes := []*node{
		newNode(t, "node1", "all", db, nc.URLs(), down.addr),
		newNode(t, "node2", "all", db, nc.URLs(), down.addr),
		newNode(t, "node3", "worker", db, nc.URLs(), down.addr),
	}
	for _, n := range nodes {
		n.start(t)
	}
	if c, err := net.Dial("tcp", nodes[2].smtp); err == nil {
		c.Close()
		t.Fatal("the worker node listens for SMTP")
	}
	js := natstest.Connect(t, nc.URLs())
	// inFlight is what a kill can make twice: the jobs taken and not
	// yet acknowledged, and the sessions open.
	const senders = 6
	inFlight := func() int {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		st, err := smtpproxy.Status(ctx, js)
		if err != nil {
			t.Logf("status: %v", err)
			return senders + 1000 // unknown: no bound from this kill
		}
		return st.AckPending + senders
	}

	var acked atomic.Int64
	ackedMail := make([]atomic.Bool, total)
	deadline := time.Now().Add(5 * time.Minute) // a bound on giving up, not a timing asserted
	// Round robin over the listeners that are up; a refused or failed
	// mail is sent again elsewhere, as an MTA retries.
	sent := sendAll(senders, total, func(i int) {
		for try := i; time.Now().Before(deadline); try++ {
			n := nodes[try%2]
			if n.up() && sendOne(n.smtp, i) {
				ackedMail[i].Store(true)
				acked.Add(1)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	waitAcked := func(n int) {
		for acked.Load() < int64(n) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	bound := 0
	waitAcked(total / 4)
	bound += inFlight()
	nodes[0].kill()
	t.Logf("killed node1 after %d acknowledged", acked.Load())
	waitAcked(total / 2)
	bound += inFlight()
	nc.Kill(1)
	t.Logf("killed NATS server 2 after %d acknowledged", acked.Load())
	waitAcked(3 * total / 4)
	nc.Restart(1)
	nc.WaitReady(1)
	nodes[0].start(t)
	t.Logf("restarted both after %d acknowledged", acked.Load())
	sent()

	lost := func() []int {
		var l []int
		for i := range total {
			if ackedMail[i].Load() && down.count(i) == 0 {
				l = append(l, i)
			}
		}
		return l
	}
	for len(lost()) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if l := lost(); len(l) > 0 {
		dumpLogs(t, nodes)
		t.Fatalf("%d of %d acknowledged mails never delivered, e.g. %v", len(l), acked.Load(), l[:min(len(l), 10)])
	}
	// Every job ends acknowledged: no message is left half done.
	var st *smtpproxy.ClusterStatus
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		st, _ = smtpproxy.Status(ctx, js)
		cancel()
		if st != nil && st.Jobs == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st == nil || st.Jobs != 0 {
		dumpLogs(t, nodes)
		t.Fatalf("jobs left unacknowledged: %+v", st)
	}
	dups := 0
	for i := range total {
		if c := down.count(i); c > 1 {
			dups += c - 1
		}
	}
	t.Logf("%d mails, %d acknowledged, all delivered; %d duplicates (bound: %d in flight at the kills)", total, acked.Load(), dups, bound)
	if dups > bound {
		t.Errorf("%d duplicates, more than the %d in flight at the kills", dups, bound)
	}
	for _, n := range nodes {
		t.Logf("%s (%s): jobs taken %v, acknowledged %v, redelivered %v (since its last start)", n.name, n.role,
			n.metric(t, "mugai_smtp_jobs_taken_total"), n.metric(t, "mugai_smtp_jobs_acked_total"), n.metric(t, "mugai_smtp_jobs_redelivered_total"))
	}
	if got := nodes[2].metric(t, "mugai_smtp_jobs_taken_total"); got == 0 {
		t.Error("the worker node took no job")
	}
	stdout, stderr, code := mugai(t, nil, "cluster", "-config", nodes[1].conf, "-lang", "en", "status")
	if code != exitOK {
		t.Fatalf("cluster status: exit %d: %s", code, stderr)
	}
	t.Logf("mugai cluster status:\n%s", stdout)
	if !strings.Contains(stdout, "Nodes heard from in the last minute: 3") || !strings.Contains(stdout, "node3  worker") {
		t.Errorf("cluster status does not list the three nodes:\n%s", stdout)
	}
}

func dumpLogs(t *testing.T, nodes []*node) {
	t.Helper()
	for _, n := range nodes {
		if b, _ := os.ReadFile(n.log); len(b) > 0 {
			t.Logf("%s log (tail):\n%s", n.name, tail(b, 6000))
		}
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// sendAll sends mails 0 to total-1 over senders sessions at once, each by
// send (which retries as it sees fit), and returns a func that waits
// until every mail has been sent.
func sendAll(senders, total int, send func(i int)) (wait func()) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < total; i = int(next.Add(1) - 1) {
				send(i)
			}
		}()
	}
	return wg.Wait
}
