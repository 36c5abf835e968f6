// Package bwrap runs an untrusted-input tool (LibreOffice, tesseract) as a
// subprocess under bubblewrap with rlimits set by util-linux prlimit: new
// user, PID, network, IPC, UTS and cgroup namespaces (so no network at
// all, not even loopback), a read-only /usr and the few read-only /etc
// files such tools read, a private /tmp, and one host folder bound
// read-write at /work as the only writable place. Every run has a
// deadline; when it ends the whole process group is killed.
//
// It never falls back to running a tool unsandboxed: when bubblewrap or
// prlimit is missing, or the host refuses user namespaces, New or Probe
// returns an error wrapping ErrUnavailable.
package bwrap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrUnavailable is wrapped when bubblewrap, prlimit or the tool is
// missing, or the sandbox cannot start on this host.
var ErrUnavailable = errors.New("sandbox unavailable")

// Options configure a Sandbox. The zero value finds the tools on PATH and
// uses the default limits.
type Options struct {
	Bwrap   string // bubblewrap; default "bwrap" on PATH
	Prlimit string // util-linux prlimit; default "prlimit" on PATH
	TempDir string // parent of work folders; default os.TempDir()

	Timeout   time.Duration // per run, also bounded by ctx; default 90s
	MaxMemory int64         // RLIMIT_AS, at most the process's own hard limit; default 4 GiB
	MaxFile   int64         // RLIMIT_FSIZE, the largest file it may write; default 512 MiB
	MaxFiles  int           // RLIMIT_NOFILE; default 1024
	// Parallel is how many runs go at once; a further run waits for
	// one to end (its deadline starts when it starts). Default
	// runtime.NumCPU(): more sanitizing workers than cores then cost no
	// more tool processes, and their memory, than there are cores.
	Parallel int

	// ReadOnly are further host paths bound read-only at the same place
	// when they exist (a tool's own /etc folder, a tree outside /usr).
	ReadOnly []string
	// Env are further NAME=value variables set inside the sandbox.
	Env []string
}

func (o Options) withDefaults() Options {
	if o.Bwrap == "" {
		o.Bwrap = "bwrap"
	}
	if o.Prlimit == "" {
		o.Prlimit = "prlimit"
	}
	if o.Timeout <= 0 {
		o.Timeout = 90 * time.Second
	}
	if o.MaxMemory <= 0 {
		o.MaxMemory = 4 << 30
	}
	if o.MaxFile <= 0 {
		o.MaxFile = 512 << 20
	}
	if o.MaxFiles <= 0 {
		o.MaxFiles = 1024
	}
	if o.Parallel <= 0 {
		o.Parallel = runtime.NumCPU()
	}
	return o
}

// Sandbox is a resolved bubblewrap and prlimit with their limits.
type Sandbox struct {
	opts    Options
	bwrap   string
	prlimit string
	// as is the tool's RLIMIT_AS: opts.MaxMemory, or the process's lower
	// hard limit (asLowered).
	as        int64
	asLowered bool
	slots     chan struct{} // one per run going (opts.Parallel)
}

// New resolves bubblewrap and prlimit.
func New(opts Options) (*Sandbox, error) {
	opts = opts.withDefaults()
	sb := &Sandbox{opts: opts, slots: make(chan struct{}, opts.Parallel)}
	sb.as, sb.asLowered = addressSpaceLimit(opts.MaxMemory)
	var err error
	if sb.bwrap, err = Resolve(opts.Bwrap, "bubblewrap"); err != nil {
		return nil, err
	}
	if sb.prlimit, err = Resolve(opts.Prlimit, "util-linux"); err != nil {
		return nil, err
	}
	return sb, nil
}

// Resolve finds the program name on PATH and returns its absolute path,
// symlinks resolved; pkg names the Debian package that has it.
func Resolve(name, pkg string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: %s not found (Debian package %s)", ErrUnavailable, name, pkg)
	}
	if p, err = filepath.EvalSymlinks(p); err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if p, err = filepath.Abs(p); err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return p, nil
}

// AddressSpace is the tool's RLIMIT_AS and whether it was lowered from
// Options.MaxMemory to this process's own hard limit.
func (sb *Sandbox) AddressSpace() (limit int64, lowered bool) { return sb.as, sb.asLowered }

// Options returns the sandbox's options, defaults applied.
func (sb *Sandbox) Options() Options { return sb.opts }

// Argv builds the sandboxed command line for cmd, with work bound at
// /work (see the package documentation).
func (sb *Sandbox) Argv(work string, cmd ...string) []string {
	o := sb.opts
	cpu := int64(o.Timeout/time.Second) + 5
	a := []string{sb.prlimit,
		"--as=" + strconv.FormatInt(sb.as, 10),
		"--fsize=" + strconv.FormatInt(o.MaxFile, 10),
		"--nofile=" + strconv.Itoa(o.MaxFiles),
		"--cpu=" + strconv.FormatInt(cpu, 10),
		"--core=0",
		"--", sb.bwrap,
		"--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
		"--ro-bind", "/usr", "/usr",
	}
	// Merged-/usr systems have /bin, /lib … as symlinks into /usr.
	for _, d := range []string{"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"} {
		fi, err := os.Lstat(d)
		switch {
		case err != nil:
		case fi.Mode()&os.ModeSymlink != 0:
			if t, err := os.Readlink(d); err == nil {
				a = append(a, "--symlink", t, d)
			}
		case fi.IsDir():
			a = append(a, "--ro-bind", d, d)
		}
	}
	for _, p := range append([]string{"/etc/fonts", "/etc/ld.so.cache", "/etc/ld.so.conf",
		"/etc/ld.so.conf.d", "/etc/alternatives", "/var/cache/fontconfig", "/etc/localtime"}, o.ReadOnly...) {
		a = append(a, "--ro-bind-try", p, p)
	}
	a = append(a,
		"--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
		"--dir", "/tmp/home",
		"--bind", work, "/work", "--chdir", "/work",
		"--setenv", "HOME", "/tmp/home", "--setenv", "TMPDIR", "/tmp",
		"--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8")
	for _, kv := range o.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			a = append(a, "--setenv", k, v)
		}
	}
	a = append(a, "--")
	return append(a, cmd...)
}

// Run executes cmd in the sandbox with work at /work, within the
// deadline; on ctx done the whole process group is killed. It returns
// the combined output, of which it keeps the first 16 KiB.
func (sb *Sandbox) Run(ctx context.Context, work string, cmd ...string) ([]byte, error) {
	out := &capped{max: 16 << 10}
	err := sb.RunTo(ctx, work, out, out, cmd...)
	return out.Bytes(), err
}

// RunTo is Run with the command's standard output and error written to
// stdout and stderr.
func (sb *Sandbox) RunTo(ctx context.Context, work string, stdout, stderr io.Writer, cmd ...string) error {
	select {
	case sb.slots <- struct{}{}:
		defer func() { <-sb.slots }()
	case <-ctx.Done():
		return fmt.Errorf("sandbox: %s not started: %w", filepath.Base(cmd[0]), ctx.Err())
	}
	ctx, cancel := context.WithTimeout(ctx, sb.opts.Timeout)
	defer cancel()
	argv := sb.Argv(work, cmd...)
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	c.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.WaitDelay = 5 * time.Second
	c.Stdout, c.Stderr = stdout, stderr
	err := c.Run()
	if ctx.Err() != nil {
		return fmt.Errorf("sandbox: %s stopped: %w", filepath.Base(cmd[0]), ctx.Err())
	}
	return err
}

// capped keeps the first max bytes written to it.
type capped struct {
	bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// Probe checks that the sandbox can start on this host (user namespaces
// allowed, tools runnable).
func (sb *Sandbox) Probe(ctx context.Context) error {
	work, err := os.MkdirTemp(sb.opts.TempDir, "mugai-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if out, err := sb.Run(ctx, work, "/bin/true"); err != nil {
		return fmt.Errorf("%w: the sandbox does not start: %v: %s", ErrUnavailable, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// IsRefusal tells bubblewrap's and prlimit's own refusals (no user
// namespaces, a limit it cannot set) in a run's output from the tool's
// errors.
func IsRefusal(out []byte) bool {
	s := string(out)
	return strings.HasPrefix(s, "bwrap:") || strings.Contains(s, "\nbwrap:") || strings.HasPrefix(s, "prlimit:")
}
