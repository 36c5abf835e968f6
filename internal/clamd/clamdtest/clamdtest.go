// Package clamdtest starts a real clamd (Debian package clamav-daemon) for
// tests, with a small local signature database instead of the official
// one, which needs the network to download.
//
// The database holds one body signature, Signature, for the EICAR
// anti-virus test file (https://www.eicar.org/download-anti-malware-testfile/),
// so tests can check that EICAR is found wherever clamd looks: plainly, in
// a zip entry, in a base64 mail attachment. ClamAV 1.4 has no built-in
// EICAR signature; without this database it reports EICAR as clean.
//
// The clamd runs in its own temporary folder with a unix socket, no TCP,
// and is killed by Close (and by the kernel if the test binary dies).
package clamdtest

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/clamd"
	"github.com/mugai-project/mugai/internal/freeport"
)

// SignatureName is the EICAR signature's name in the local database.
const SignatureName = "Mugai.Test.EICAR"

// Signature is the name clamd reports for it: clamd marks signatures from
// databases not signed by ClamAV with ".UNOFFICIAL".
const Signature = SignatureName + ".UNOFFICIAL"

// EICAR returns the 68-byte EICAR test file. It is put together at run
// time so that this source file is not itself flagged by scanners.
func EICAR() []byte {
	return []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$` + `EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`)
}

// ErrNotInstalled reports that no clamd binary was found.
var ErrNotInstalled = errors.New("clamdtest: clamd is not installed (Debian package clamav-daemon)")

// Options configure a test clamd. The zero value unpacks archives and
// mail and accepts streams up to clamd's default 100 MiB.
type Options struct {
	// StreamMaxLength is clamd's StreamMaxLength (and MaxFileSize) in
	// bytes. Default clamd.DefaultMaxStreamBytes.
	StreamMaxLength int64
	// Shallow turns off ScanArchive and ScanMail: clamd then sees only the
	// raw bytes, as with a misconfigured or limited scanner, so that tests
	// can prove mugai scans nested items itself.
	Shallow bool
	// NoHeuristics turns off clamd's HeuristicAlerts (on by default), such
	// as Heuristics.PDF.ObfuscatedNameObject for hex-escaped PDF names,
	// so that only the EICAR signature can match.
	NoHeuristics bool
	// TCP has clamd listen on a free loopback port as well, for
	// Server.TCPClient.
	TCP bool
}

func (o Options) withDefaults() Options {
	if o.StreamMaxLength <= 0 {
		o.StreamMaxLength = clamd.DefaultMaxStreamBytes
	}
	return o
}

// Server is a running clamd.
type Server struct {
	Client  *clamd.Client // connected to Socket, MaxStreamBytes = StreamMaxLength
	Dir     string        // the temporary folder: config, database, socket, log
	Socket  string        // the unix socket path
	Startup time.Duration // from exec to the first PONG
	// TCPClient talks to clamd over TCP on the loopback; nil unless
	// Options.TCP.
	TCPClient *clamd.Client

	cmd    *exec.Cmd
	exited chan struct{}
	once   sync.Once
}

// Path returns the clamd binary's path, or ErrNotInstalled.
func Path() (string, error) {
	if p, err := exec.LookPath("clamd"); err == nil {
		return p, nil
	}
	// /usr/sbin is not on every user's PATH.
	if _, err := os.Stat("/usr/sbin/clamd"); err == nil {
		return "/usr/sbin/clamd", nil
	}
	return "", ErrNotInstalled
}

// New starts clamd and waits until it answers PING. The caller must Close
// the Server.
func New(ctx context.Context, opts Options) (*Server, error) {
	opts = opts.withDefaults()
	bin, err := Path()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "mugai-clamd-")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, Socket: filepath.Join(dir, "clamd.sock"), exited: make(chan struct{})}
	if len(s.Socket) > 100 {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("clamdtest: socket path %q is too long for a unix socket; set a shorter TMPDIR", s.Socket)
	}
	var tcpAddr string
	if opts.TCP {
		if tcpAddr, err = freeport.Find(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if err := s.writeConfig(opts, tcpAddr); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	out, err := os.Create(filepath.Join(dir, "clamd.out"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer out.Close()
	s.cmd = exec.Command(bin, "--config-file="+filepath.Join(dir, "clamd.conf"))
	s.cmd.Stdout, s.cmd.Stderr = out, out
	s.cmd.SysProcAttr = sysProcAttr()
	start := time.Now()
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("clamdtest: starting clamd: %w", err)
	}
	go func() {
		s.cmd.Wait()
		close(s.exited)
	}()

	s.Client, err = clamd.New(clamd.Options{Network: "unix", Address: s.Socket, Timeout: 30 * time.Second, MaxStreamBytes: opts.StreamMaxLength})
	if err != nil {
		s.Close()
		return nil, err
	}
	if opts.TCP {
		s.TCPClient, err = clamd.New(clamd.Options{Network: "tcp", Address: tcpAddr, Timeout: 30 * time.Second, MaxStreamBytes: opts.StreamMaxLength})
		if err != nil {
			s.Close()
			return nil, err
		}
	}
	if err := s.waitReady(ctx); err != nil {
		log := s.Log()
		s.Close()
		return nil, fmt.Errorf("%w\nclamd log:\n%s", err, log)
	}
	s.Startup = time.Since(start)
	return s, nil
}

// writeConfig writes the signature database and clamd.conf (see
// clamd.conf(5)).
func (s *Server) writeConfig(opts Options, tcpAddr string) error {
	db := filepath.Join(s.Dir, "db")
	tmp := filepath.Join(s.Dir, "tmp")
	for _, d := range []string{db, tmp} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
	}
	// An extended (.ndb) body signature: Name:TargetType:Offset:HexSignature,
	// target 0 (any file), offset * (anywhere). It matches in every file
	// clamd looks at, unpacked archive entries and decoded mail parts too.
	ndb := SignatureName + ":0:*:" + hex.EncodeToString(EICAR()) + "\n"
	if err := os.WriteFile(filepath.Join(db, "mugai-test.ndb"), []byte(ndb), 0o600); err != nil {
		return err
	}
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	conf := strings.Join([]string{
		"LocalSocket " + s.Socket,
		"LocalSocketMode 600",
		"DatabaseDirectory " + db,
		"TemporaryDirectory " + tmp,
		"LogFile " + filepath.Join(s.Dir, "clamd.log"),
		"LogTime yes",
		"Foreground yes",
		"MaxThreads 4",
		"ScanArchive " + yes(!opts.Shallow),
		"ScanMail " + yes(!opts.Shallow),
		"HeuristicAlerts " + yes(!opts.NoHeuristics),
		fmt.Sprintf("StreamMaxLength %d", opts.StreamMaxLength),
		fmt.Sprintf("MaxFileSize %d", opts.StreamMaxLength),
		fmt.Sprintf("MaxScanSize %d", 4*opts.StreamMaxLength),
	}, "\n") + "\n"
	if tcpAddr != "" {
		host, port, _ := net.SplitHostPort(tcpAddr)
		conf += "TCPAddr " + host + "\nTCPSocket " + port + "\n"
	}
	return os.WriteFile(filepath.Join(s.Dir, "clamd.conf"), []byte(conf), 0o600)
}

// waitReady pings until clamd answers, it exits, or a minute passes.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		pctx, pcancel := context.WithTimeout(ctx, time.Second)
		err := s.Client.Ping(pctx)
		pcancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("clamdtest: clamd exited before answering: %v", s.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("clamdtest: clamd did not answer PING: %w", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Log returns clamd's log file and its standard output and error.
func (s *Server) Log() string {
	var b strings.Builder
	for _, name := range []string{"clamd.log", "clamd.out"} {
		data, _ := os.ReadFile(filepath.Join(s.Dir, name))
		b.Write(data)
	}
	return b.String()
}

// Signal sends sig to clamd, e.g. SIGSTOP to make it hang.
func (s *Server) Signal(sig os.Signal) error { return s.cmd.Process.Signal(sig) }

// Kill kills clamd and waits for it to exit. The folder stays until Close.
func (s *Server) Kill() {
	s.cmd.Process.Kill()
	<-s.exited
}

// Close kills clamd and removes its folder.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		s.Kill()
		err = os.RemoveAll(s.Dir)
	})
	return err
}

// StartServer starts a clamd for the test and closes it when the test
// ends. It skips the test if clamd is not installed.
func StartServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(context.Background(), opts)
	if errors.Is(err, ErrNotInstalled) {
		t.Skip("clamd not found: install the Debian package clamav-daemon to run this test")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("clamd log:\n%s", s.Log())
		}
		s.Close()
	})
	return s
}

// Start starts a clamd with the default Options for the test and returns
// a client for it. It skips the test if clamd is not installed.
func Start(t testing.TB) *clamd.Client {
	t.Helper()
	return StartServer(t, Options{}).Client
}
