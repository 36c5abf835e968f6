package office

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// needSandbox skips when the Debian packages are absent: bubblewrap,
// util-linux (prlimit) and, with soffice, libreoffice-writer-nogui /
// libreoffice-calc-nogui.
func needSandbox(t *testing.T, soffice bool) *sandbox {
	t.Helper()
	sb, err := newSandbox(ConvertOptions{TempDir: t.TempDir()}, soffice)
	if err != nil {
		t.Skipf("needs Debian packages bubblewrap and libreoffice-*-nogui: %v", err)
	}
	if err := sb.Probe(context.Background()); err != nil {
		t.Skipf("the bubblewrap sandbox cannot start on this host: %v", err)
	}
	return sb
}

func TestConvertToPDFUnavailable(t *testing.T) {
	_, err := ConvertToPDF(context.Background(), "x.doc", t.TempDir(), ConvertOptions{Soffice: "/nonexistent/soffice"})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	_, err = ConvertToPDF(context.Background(), "x.doc", t.TempDir(), ConvertOptions{Bwrap: "/nonexistent/bwrap"})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func pdfText(t *testing.T, path string) string {
	t.Helper()
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("needs Debian package poppler-utils (pdftotext)")
	}
	out, err := exec.Command(tool, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	// pdftotext may put spaces between scripts ("令和 7 年度").
	return strings.Join(strings.Fields(string(out)), "")
}

// TestConvertToPDF converts, under the sandbox, the disarmed clean docx
// and xlsx, and LibreOffice-written .doc, .xls and .odt files, and finds
// the Japanese text in each PDF.
func TestConvertToPDF(t *testing.T) {
	needSandbox(t, true)
	if testing.Short() {
		t.Skip("LibreOffice conversions take seconds each")
	}
	docx, _ := disarm(t, cleanDOCX(t), Options{})
	xlsx, _ := disarm(t, cleanXLSX(t), Options{})
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		body []byte
		want []string
	}{
		{"disarmed.docx", docx, []string{"お世話になっております。", "令和7年度予算書"}},
		{"disarmed.xlsx", xlsx, []string{"令和7年度予算書", "1234567"}},
		{"legacy.doc", read("clean.doc"), []string{"お世話になっております。", "令和7年度予算書"}},
		{"open.odt", read("clean.odt"), []string{"お世話になっております。", "令和7年度予算書"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			in := filepath.Join(dir, tc.name)
			os.WriteFile(in, tc.body, 0o600)
			pdf, err := ConvertToPDF(context.Background(), in, dir, ConvertOptions{TempDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer os.Remove(pdf)
			text := pdfText(t, pdf)
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("PDF text %q lacks %q", text, w)
				}
			}
		})
	}
}

// linkedImageFODT is a flat ODF text whose picture is linked to url:
// LibreOffice fetches it while converting.
func linkedImageFODT(url string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
<office:body><office:text><text:p>お世話になっております。<draw:frame draw:name="img" svg:width="2cm" svg:height="2cm" text:anchor-type="as-char"><draw:image xlink:href="` + url + `" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/></draw:frame></text:p></office:text></office:body></office:document>
`
}

// TestConverterCannotReachNetwork: a document whose linked picture makes
// LibreOffice connect to a listener on 127.0.0.1 when run on the host
// makes no connection when converted by ConvertToPDF.
func TestConverterCannotReachNetwork(t *testing.T) {
	sb := needSandbox(t, true)
	if testing.Short() {
		t.Skip("LibreOffice conversions take seconds each")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conns := make(chan string, 64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(conns)
				return
			}
			conns <- c.RemoteAddr().String()
			c.Close() // LibreOffice gets no picture and goes on
		}
	}()
	// before counts the connections queued before a sentinel of our own.
	before := func() int {
		s, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		n := 0
		for addr := range conns {
			if addr == s.LocalAddr().String() {
				return n
			}
			n++
		}
		return n
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "linked.fodt")
	os.WriteFile(in, []byte(linkedImageFODT("http://"+ln.Addr().String()+"/x.png")), 0o600)

	// Control: LibreOffice on the host connects.
	ctl := exec.Command(sb.soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--headless", "--convert-to", "pdf", "--outdir", filepath.Join(dir, "control"), in)
	ctl.Env = append(os.Environ(), "HOME="+dir)
	if out, err := ctl.CombinedOutput(); err != nil {
		t.Fatalf("control conversion: %v: %s", err, out)
	}
	if before() == 0 {
		t.Fatal("control: LibreOffice on the host did not fetch the linked picture")
	}
	// Sandboxed: the PDF is made, and nothing connects.
	pdf, err := ConvertToPDF(context.Background(), in, dir, ConvertOptions{TempDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(pdf)
	if n := before(); n != 0 {
		t.Fatalf("%d connections from the sandboxed converter reached 127.0.0.1", n)
	}
}
