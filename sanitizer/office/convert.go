package office

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mugai-project/mugai/internal/fsutil"
)

// ErrUnavailable is wrapped when LibreOffice, bubblewrap or prlimit is
// missing or the sandbox cannot start on this host. The engine withholds
// the item with that reason; it never passes it.
var ErrUnavailable = errors.New("office: LibreOffice sandbox unavailable")

// ConvertOptions configure ConvertToPDF. The zero value finds the tools
// on PATH and uses the default limits.
type ConvertOptions struct {
	Soffice string // LibreOffice; default "soffice" on PATH
	Bwrap   string // bubblewrap; default "bwrap" on PATH
	Prlimit string // util-linux prlimit; default "prlimit" on PATH
	TempDir string // parent of the per-document work folder; default os.TempDir()

	Timeout   time.Duration // per document, also bounded by ctx; default 90s
	MaxMemory int64         // RLIMIT_AS of the converter, at most the process's own hard limit; default 4 GiB
	MaxFile   int64         // RLIMIT_FSIZE, the largest file it may write; default 512 MiB
	MaxFiles  int           // RLIMIT_NOFILE; default 1024
}

func (o ConvertOptions) withDefaults() ConvertOptions {
	if o.Soffice == "" {
		o.Soffice = "soffice"
	}
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
	return o
}

// sandbox is a resolved set of tools.
type sandbox struct {
	opts    ConvertOptions
	soffice string // absolute, symlinks resolved
	bwrap   string
	prlimit string
	// as is the converter's RLIMIT_AS: opts.MaxMemory, or the process's
	// lower hard limit (asLowered).
	as        int64
	asLowered bool
}

// newSandbox resolves bubblewrap and prlimit, and LibreOffice when
// withSoffice is set.
func newSandbox(opts ConvertOptions, withSoffice bool) (*sandbox, error) {
	opts = opts.withDefaults()
	sb := &sandbox{opts: opts}
	sb.as, sb.asLowered = addressSpaceLimit(opts.MaxMemory)
	type tool struct {
		name string
		dst  *string
	}
	tools := []tool{{opts.Bwrap, &sb.bwrap}, {opts.Prlimit, &sb.prlimit}}
	if withSoffice {
		tools = append(tools, tool{opts.Soffice, &sb.soffice})
	}
	for _, t := range tools {
		p, err := exec.LookPath(t.name)
		if err != nil {
			return nil, fmt.Errorf("%w: %s not found (Debian packages libreoffice-*-nogui, bubblewrap, util-linux)", ErrUnavailable, t.name)
		}
		if p, err = filepath.EvalSymlinks(p); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		if *t.dst, err = filepath.Abs(p); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
	}
	return sb, nil
}

// argv builds the sandboxed command line: prlimit sets the rlimits, then
// bubblewrap starts cmd with new user, PID, network, IPC, UTS and cgroup
// namespaces (so no network at all, not even loopback), a read-only /usr
// and the few read-only /etc files the converter reads, a private /tmp,
// and work bound read-write at /work as its only writable host folder.
func (sb *sandbox) argv(work string, cmd ...string) []string {
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
	for _, p := range []string{"/etc/fonts", "/etc/libreoffice", "/etc/ld.so.cache", "/etc/ld.so.conf",
		"/etc/ld.so.conf.d", "/etc/alternatives", "/var/cache/fontconfig", "/etc/localtime"} {
		a = append(a, "--ro-bind-try", p, p)
	}
	// LibreOffice installed outside /usr (/opt/libreoffice…): its tree too.
	if sb.soffice != "" && !strings.HasPrefix(sb.soffice, "/usr/") {
		root := filepath.Dir(filepath.Dir(sb.soffice))
		a = append(a, "--ro-bind", root, root)
	}
	a = append(a,
		"--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
		"--dir", "/tmp/home",
		"--bind", work, "/work", "--chdir", "/work",
		"--setenv", "HOME", "/tmp/home", "--setenv", "TMPDIR", "/tmp",
		"--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8",
		"--")
	return append(a, cmd...)
}

// run executes cmd in the sandbox with the deadline; on ctx done the
// whole process group is killed. It returns combined output (bounded).
func (sb *sandbox) run(ctx context.Context, work string, cmd ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, sb.opts.Timeout)
	defer cancel()
	argv := sb.argv(work, cmd...)
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	c.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.WaitDelay = 5 * time.Second
	out := &capped{max: 16 << 10}
	c.Stdout, c.Stderr = out, out
	err := c.Run()
	if ctx.Err() != nil {
		return out.Bytes(), fmt.Errorf("office: converter stopped: %w", ctx.Err())
	}
	return out.Bytes(), err
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

// probe checks that the sandbox can start on this host (user namespaces
// allowed, tools runnable).
func (sb *sandbox) probe(ctx context.Context) error {
	work, err := os.MkdirTemp(sb.opts.TempDir, "mugai-lo-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if out, err := sb.run(ctx, work, "/bin/true"); err != nil {
		return fmt.Errorf("%w: the sandbox does not start: %v: %s", ErrUnavailable, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// ConvertToPDF converts the document at path in to PDF with LibreOffice
// (soffice --headless --convert-to pdf) inside the sandbox described at
// sandbox.argv, and moves the PDF into outDir. The name LibreOffice sees
// is "input" with in's extension, which selects its import filter; type
// detection by content still applies. It returns the PDF's path; the
// caller removes it. Any failure, including a converter that exits
// cleanly without writing a PDF (LibreOffice does that for files it cannot
// load, such as password-protected ones), is an error.
func ConvertToPDF(ctx context.Context, in, outDir string, opts ConvertOptions) (string, error) {
	sb, err := newSandbox(opts, true)
	if err != nil {
		return "", err
	}
	work, input, err := newWork(sb.opts.TempDir, filepath.Ext(in))
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	if err := fsutil.CopyFile(input, in, 0o600); err != nil {
		return "", err
	}
	pdf, err := sb.convert(ctx, work, input)
	if err != nil {
		return "", err
	}
	dst, err := os.CreateTemp(outDir, "mugai-lo-*.pdf")
	if err != nil {
		return "", err
	}
	dst.Close()
	if err := os.Rename(pdf, dst.Name()); err != nil {
		// Across file systems: copy into the name CreateTemp reserved.
		os.Remove(dst.Name())
		if err := fsutil.CopyFile(dst.Name(), pdf, 0o600); err != nil {
			os.Remove(dst.Name())
			return "", err
		}
	}
	return dst.Name(), nil
}

// newWork makes a converter work folder under tempDir, with the fresh
// profile, and returns it with the path the input is to be written at:
// "input" with ext (lower-cased), which selects LibreOffice's import
// filter. The caller removes work.
func newWork(tempDir, ext string) (work, input string, err error) {
	ext = strings.ToLower(ext)
	if len(ext) > 6 || strings.ContainsAny(ext, "/\\ ") {
		ext = ""
	}
	if work, err = os.MkdirTemp(tempDir, "mugai-lo-"); err != nil {
		return "", "", err
	}
	err = os.Mkdir(filepath.Join(work, "out"), 0o700)
	if err == nil {
		err = os.MkdirAll(filepath.Join(work, "profile", "user"), 0o700)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(work, "profile", "user", "registrymodifications.xcu"), []byte(profileXCU), 0o600)
	}
	if err != nil {
		os.RemoveAll(work)
		return "", "", err
	}
	return work, filepath.Join(work, "input"+ext), nil
}

// convert runs LibreOffice in the sandbox on input, a file directly in
// work (see newWork), and returns the path of the PDF it wrote in work.
func (sb *sandbox) convert(ctx context.Context, work, input string) (string, error) {
	out, err := sb.run(ctx, work, sb.soffice,
		"-env:UserInstallation=file:///work/profile",
		"--headless", "--invisible", "--norestore", "--nolockcheck", "--nodefault", "--nologo", "--nofirststartwizard",
		"--convert-to", "pdf", "--outdir", "/work/out", "/work/"+filepath.Base(input))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return "", err
		}
		if isSandboxFailure(out) {
			return "", fmt.Errorf("%w: %s", ErrUnavailable, firstLine(out))
		}
		return "", fmt.Errorf("office: LibreOffice failed: %v: %s", err, firstLine(out))
	}
	pdf := filepath.Join(work, "out", "input.pdf")
	fi, err := os.Lstat(pdf)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() < 8 {
		return "", fmt.Errorf("office: LibreOffice wrote no PDF: %s", firstLine(out))
	}
	if err := checkPDFHeader(pdf); err != nil {
		return "", err
	}
	return pdf, nil
}

// profileXCU seeds the converter's fresh profile: no macro runs whatever
// the document asks (DisableMacrosExecution, security level "very high"),
// no lock files. The sandbox already has no
// network; this keeps LibreOffice from even trying.
const profileXCU = `<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="UseLocking" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
`

// isSandboxFailure tells bubblewrap's own refusals (no user namespaces)
// from the converter's errors.
func isSandboxFailure(out []byte) bool {
	s := string(out)
	return strings.HasPrefix(s, "bwrap:") || strings.Contains(s, "\nbwrap:") || strings.HasPrefix(s, "prlimit:")
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

func checkPDFHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var h [5]byte
	if _, err := io.ReadFull(f, h[:]); err != nil || string(h[:]) != "%PDF-" {
		return errors.New("office: LibreOffice output is not a PDF")
	}
	return nil
}
