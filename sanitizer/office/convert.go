package office

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mugai-project/mugai/internal/bwrap"
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
	return o
}

// sandbox is the converter's bubblewrap sandbox (internal/bwrap) and the
// resolved LibreOffice.
type sandbox struct {
	*bwrap.Sandbox
	opts    ConvertOptions
	soffice string // absolute, symlinks resolved
}

// newSandbox resolves bubblewrap and prlimit, and LibreOffice when
// withSoffice is set. Besides what bwrap binds, the converter reads
// /etc/libreoffice, and the tree of a LibreOffice installed outside /usr
// (/opt/libreoffice…).
func newSandbox(opts ConvertOptions, withSoffice bool) (*sandbox, error) {
	opts = opts.withDefaults()
	sb := &sandbox{opts: opts}
	ro := []string{"/etc/libreoffice"}
	if withSoffice {
		p, err := bwrap.Resolve(opts.Soffice, "libreoffice-*-nogui")
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		sb.soffice = p
		if !strings.HasPrefix(p, "/usr/") {
			ro = append(ro, filepath.Dir(filepath.Dir(p)))
		}
	}
	b, err := bwrap.New(bwrap.Options{Bwrap: opts.Bwrap, Prlimit: opts.Prlimit, TempDir: opts.TempDir,
		Timeout: opts.Timeout, MaxMemory: opts.MaxMemory, MaxFile: opts.MaxFile, MaxFiles: opts.MaxFiles, ReadOnly: ro})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	sb.Sandbox = b
	return sb, nil
}

// CheckConverter reports whether LibreOffice and its sandbox can run on
// this host: nil, or an error wrapping ErrUnavailable.
func CheckConverter(ctx context.Context, opts ConvertOptions) error {
	sb, err := newSandbox(opts, true)
	if err != nil {
		return err
	}
	if err := sb.Probe(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

// ConvertToPDF converts the document at path in to PDF with LibreOffice
// (soffice --headless --convert-to pdf) inside the sandbox described at
// internal/bwrap, and moves the PDF into outDir. The name LibreOffice sees
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
	out, err := sb.Run(ctx, work, sb.soffice,
		"-env:UserInstallation=file:///work/profile",
		"--headless", "--invisible", "--norestore", "--nolockcheck", "--nodefault", "--nologo", "--nofirststartwizard",
		"--convert-to", "pdf", "--outdir", "/work/out", "/work/"+filepath.Base(input))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return "", err
		}
		if bwrap.IsRefusal(out) {
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
