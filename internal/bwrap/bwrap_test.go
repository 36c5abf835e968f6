package bwrap

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// needSandbox skips when the Debian packages bubblewrap and util-linux
// (prlimit) are absent or the host refuses user namespaces.
func needSandbox(t *testing.T) *Sandbox {
	t.Helper()
	sb, err := New(Options{TempDir: t.TempDir()})
	if err != nil {
		t.Skipf("needs Debian package bubblewrap: %v", err)
	}
	if err := sb.Probe(context.Background()); err != nil {
		t.Skipf("the bubblewrap sandbox cannot start on this host: %v", err)
	}
	return sb
}

func TestUnavailable(t *testing.T) {
	for _, o := range []Options{{Bwrap: "/nonexistent/bwrap"}, {Prlimit: "/nonexistent/prlimit"}} {
		if _, err := New(o); !errors.Is(err, ErrUnavailable) {
			t.Errorf("New(%+v) = %v, want ErrUnavailable", o, err)
		}
	}
}

// TestSandboxHasNoNetwork: the same command that reaches a listener on
// 127.0.0.1 from the host cannot reach it from inside the sandbox.
func TestSandboxHasNoNetwork(t *testing.T) {
	sb := needSandbox(t)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("needs bash")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	script := "echo mugai > /dev/tcp/127.0.0.1/" + port
	// firstIsSentinel connects from the test itself and reports whether
	// that sentinel is the first connection in the listen queue: anything
	// the finished command managed to open would be queued before it.
	firstIsSentinel := func() bool {
		s, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if c.RemoteAddr().String() == s.LocalAddr().String() {
			return true
		}
		c2, err := ln.Accept() // drain the sentinel
		if err == nil {
			c2.Close()
		}
		return false
	}
	// Control: from the host the command's connection arrives first.
	if out, err := exec.Command(bash, "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("control: %v: %s", err, out)
	}
	if firstIsSentinel() {
		t.Fatal("control: the listener saw no connection from the host")
	}
	// In the sandbox: the connect fails and nothing arrives.
	out, err := sb.Run(context.Background(), t.TempDir(), bash, "-c", script)
	if err == nil {
		t.Errorf("the sandboxed connect succeeded: %s", out)
	}
	if !firstIsSentinel() {
		t.Fatal("a connection from inside the sandbox reached 127.0.0.1")
	}
}

// TestSandboxSeesOnlyItsWorkFolder: host files outside the bound folders
// are not visible, and /usr is read-only.
func TestSandboxSeesOnlyItsWorkFolder(t *testing.T) {
	sb := needSandbox(t)
	secret := filepath.Join(t.TempDir(), "secret.txt")
	os.WriteFile(secret, []byte("x"), 0o600)
	for _, cmd := range [][]string{
		{"/bin/cat", secret},
		{"/bin/touch", "/usr/mugai-test"},
		{"/bin/cat", "/etc/shadow"},
	} {
		if out, err := sb.Run(context.Background(), t.TempDir(), cmd...); err == nil {
			t.Errorf("%v succeeded in the sandbox: %s", cmd, out)
		}
	}
	work := t.TempDir()
	if out, err := sb.Run(context.Background(), work, "/bin/touch", "/work/ok"); err != nil {
		t.Fatalf("cannot write its work folder: %v: %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(work, "ok")); err != nil {
		t.Fatal("the work folder is not the host folder")
	}
}

func TestSandboxDeadlineKillsConverter(t *testing.T) {
	sb := needSandbox(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sb.Run(ctx, t.TempDir(), "/bin/sleep", "60"); err == nil {
		t.Fatal("a cancelled run succeeded")
	}
}

// TestSandboxRunsAtMostParallel: of five runs started at once, with
// Parallel 2, never more than two are going: each run marks itself in a
// folder they share, counts the marks there while it sleeps, and takes
// its mark away.
func TestSandboxRunsAtMostParallel(t *testing.T) {
	if _, err := New(Options{}); err != nil {
		t.Skipf("needs Debian package bubblewrap: %v", err)
	}
	sb, err := New(Options{TempDir: t.TempDir(), Parallel: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Probe(context.Background()); err != nil {
		t.Skipf("the bubblewrap sandbox cannot start on this host: %v", err)
	}
	work := t.TempDir()
	outs := make([][]byte, 5)
	errs := make([]error, 5)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Go(func() {
			script := "touch /work/run." + strconv.Itoa(i) + "; sleep 0.5; ls /work | grep -c '^run\\.'; rm /work/run." + strconv.Itoa(i)
			outs[i], errs[i] = sb.Run(context.Background(), work, "/bin/sh", "-c", script)
		})
	}
	wg.Wait()
	for i, out := range outs {
		if errs[i] != nil {
			t.Fatalf("run %d: %v: %s", i, errs[i], out)
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(out)))
		if err != nil || n < 1 || n > 2 {
			t.Errorf("run %d saw %q runs going, want 1 or 2", i, out)
		}
	}
}
