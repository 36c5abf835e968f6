package clamd_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/clamd"
	"github.com/mugai-project/mugai/internal/clamd/clamdtest"
)

// These tests run against a real clamd (Debian package clamav-daemon)
// with clamdtest's local signature database; they skip if it is absent.

// shared is one default clamd for the package's tests, started on first
// use and stopped by TestMain.
var shared struct {
	once sync.Once
	srv  *clamdtest.Server
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.srv != nil {
		shared.srv.Close()
	}
	os.Exit(code)
}

// server returns the shared clamd, skipping the test if clamd is absent.
func server(t testing.TB) *clamdtest.Server {
	t.Helper()
	shared.once.Do(func() {
		shared.srv, shared.err = clamdtest.New(context.Background(), clamdtest.Options{})
		if shared.err == nil {
			t.Logf("clamd started in %v", shared.srv.Startup)
		}
	})
	if errors.Is(shared.err, clamdtest.ErrNotInstalled) {
		t.Skip("clamd not found: install the Debian package clamav-daemon to run this test")
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.srv
}

func zipOf(t testing.TB, files ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i < len(files); i += 2 {
		w, err := zw.Create(files[i]) // deflated: the raw bytes do not show
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, files[i+1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// mailWith returns an RFC 5322 message with a text body and one base64
// attachment.
func mailWith(name string, attachment []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(attachment)
	return []byte("From: sender@example.jp\r\nTo: staff@city.example.lg.jp\r\n" +
		"Subject: =?UTF-8?B?6KaL56mN5pu4?=\r\nDate: Tue, 25 Nov 2026 10:00:00 +0900\r\n" +
		"Message-ID: <clamd-test@example.jp>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		"見積書を添付します。\r\n" +
		"--b1\r\nContent-Type: application/octet-stream; name=\"" + name + "\"\r\n" +
		"Content-Disposition: attachment; filename=\"" + name + "\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + enc + "\r\n--b1--\r\n")
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestScan(t *testing.T) {
	srv := server(t)
	eicar := string(clamdtest.EICAR())
	// EICAR straddling a chunk boundary (the client sends 8188-byte
	// chunks; 64 KiB for a client that would send larger ones).
	straddle := func(at int) []byte { return append(bytes.Repeat([]byte("a"), at-30), clamdtest.EICAR()...) }
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"eicar plain", []byte(eicar), clamdtest.Signature},
		{"eicar across 8188-byte chunks", straddle(8<<10 - 4), clamdtest.Signature},
		{"eicar across 64 KiB chunks", straddle(64 << 10), clamdtest.Signature},
		{"clean text", []byte("見積金額 12,000円\n"), ""},
		{"empty", nil, ""},
		{"clean 3 MiB in many chunks", randomBytes(3<<20, 1), ""},
		{"eicar in a zip", zipOf(t, "資料/見積書.txt", "見積", "eicar.com", eicar), clamdtest.Signature},
		{"eicar in a zip in a zip", zipOf(t, "inner.zip", string(zipOf(t, "eicar.com", eicar))), clamdtest.Signature},
		{"clean zip", zipOf(t, "a.txt", "hello"), ""},
		{"eicar base64 in a mail", mailWith("eicar.com", []byte(eicar)), clamdtest.Signature},
		{"clean mail", mailWith("memo.txt", []byte("hello\n")), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := srv.Client.Scan(context.Background(), bytes.NewReader(tt.in))
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			if got != tt.want {
				t.Errorf("Scan = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPingAndVersion(t *testing.T) {
	c := server(t).Client
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	v, err := c.Version(context.Background())
	if err != nil {
		t.Fatalf("Version: %v", err)
	}
	if !strings.HasPrefix(v, "ClamAV ") {
		t.Errorf("Version = %q, want ClamAV …", v)
	}
	t.Logf("version %s", v)
}

// TestStreamOverLimit: a stream longer than clamd's StreamMaxLength is an
// error, whether clamd or the client notices first, never "clean".
func TestStreamOverLimit(t *testing.T) {
	const limit = 1 << 20
	srv := clamdtest.StartServer(t, clamdtest.Options{StreamMaxLength: limit})
	big := randomBytes(2*limit, 2)

	t.Run("clamd refuses", func(t *testing.T) {
		c, err := clamd.New(clamd.Options{Address: srv.Socket, MaxStreamBytes: 8 * limit})
		if err != nil {
			t.Fatal(err)
		}
		sig, err := c.Scan(context.Background(), bytes.NewReader(big))
		var re *clamd.ReplyError
		if !errors.As(err, &re) || !errors.Is(err, clamd.ErrTooLarge) {
			t.Fatalf("Scan = %q, %v; want clamd's size-limit ERROR", sig, err)
		}
		t.Logf("clamd: %v", err)
	})
	t.Run("client refuses", func(t *testing.T) {
		sig, err := srv.Client.Scan(context.Background(), bytes.NewReader(big))
		if !errors.Is(err, clamd.ErrTooLarge) {
			t.Fatalf("Scan = %q, %v; want ErrTooLarge", sig, err)
		}
	})
	t.Run("under the limit", func(t *testing.T) {
		if _, err := srv.Client.Scan(context.Background(), bytes.NewReader(big[:limit/2])); err != nil {
			t.Fatalf("Scan: %v", err)
		}
	})
}

// TestFailClosed: a hung or dead clamd makes Scan fail, so the engine
// withholds the item; it never reads as clean.
func TestFailClosed(t *testing.T) {
	srv := clamdtest.StartServer(t, clamdtest.Options{})
	eicar := clamdtest.EICAR()

	t.Run("hung clamd and a deadline", func(t *testing.T) {
		if err := srv.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		defer srv.Signal(syscall.SIGCONT)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		sig, err := srv.Client.Scan(ctx, bytes.NewReader(eicar))
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Scan = %q, %v; want an error for the deadline", sig, err)
		}
	})
	t.Run("hung clamd and a cancel", func(t *testing.T) {
		if err := srv.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		defer srv.Signal(syscall.SIGCONT)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		sig, err := srv.Client.Scan(ctx, bytes.NewReader(randomBytes(4<<20, 3)))
		if err == nil || !errors.Is(err, context.Canceled) {
			t.Fatalf("Scan = %q, %v; want an error for the cancel", sig, err)
		}
	})
	t.Run("alive again", func(t *testing.T) {
		sig, err := srv.Client.Scan(context.Background(), bytes.NewReader(eicar))
		if err != nil || sig != clamdtest.Signature {
			t.Fatalf("Scan = %q, %v after SIGCONT", sig, err)
		}
	})
	t.Run("killed clamd", func(t *testing.T) {
		srv.Kill()
		if sig, err := srv.Client.Scan(context.Background(), bytes.NewReader(eicar)); err == nil {
			t.Fatalf("Scan = %q, nil after clamd died", sig)
		}
		if sig, err := srv.Client.Scan(context.Background(), strings.NewReader("clean")); err == nil {
			t.Fatalf("Scan of clean text = %q, nil after clamd died", sig)
		}
		if err := srv.Client.Ping(context.Background()); err == nil {
			t.Fatal("Ping succeeded after clamd died")
		}
	})
}

// TestInputReadError: an input that fails part way is an error, not the
// verdict on the part that was sent.
func TestInputReadError(t *testing.T) {
	c := server(t).Client
	r := io.MultiReader(strings.NewReader("clean start "), iotestErrReader{})
	if sig, err := c.Scan(context.Background(), r); err == nil {
		t.Fatalf("Scan = %q, nil", sig)
	}
	// The next scan on the same clamd still works.
	if sig, err := c.Scan(context.Background(), bytes.NewReader(clamdtest.EICAR())); err != nil || sig != clamdtest.Signature {
		t.Fatalf("Scan after = %q, %v", sig, err)
	}
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("disk gone") }

func TestConcurrentScans(t *testing.T) {
	c := server(t).Client
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			in, want := []byte("clean text"), ""
			if i%2 == 0 {
				in, want = clamdtest.EICAR(), clamdtest.Signature
			}
			sig, err := c.Scan(context.Background(), bytes.NewReader(in))
			if err != nil || sig != want {
				errs <- fmt.Errorf("scan %d: got %q, %v; want %q", i, sig, err, want)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestNoClamd: nothing listening is an error for every command.
func TestNoClamd(t *testing.T) {
	dir := t.TempDir()
	for _, opts := range []clamd.Options{
		{Network: "unix", Address: dir + "/none.sock"},
		{Network: "tcp", Address: "127.0.0.1:1"},
	} {
		c, err := clamd.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		if sig, err := c.Scan(context.Background(), strings.NewReader("x")); err == nil {
			t.Errorf("%s: Scan = %q, nil", opts.Network, sig)
		}
		if err := c.Ping(context.Background()); err == nil {
			t.Errorf("%s: Ping = nil", opts.Network)
		}
		if _, err := c.Version(context.Background()); err == nil {
			t.Errorf("%s: Version = nil error", opts.Network)
		}
	}
}

func TestNewRejectsUnknownNetwork(t *testing.T) {
	if _, err := clamd.New(clamd.Options{Network: "udp"}); err == nil {
		t.Fatal("New accepted udp")
	}
}

func TestOptionsDefaults(t *testing.T) {
	tests := []struct {
		in       clamd.Options
		net, adr string
	}{
		{clamd.Options{}, "unix", clamd.DefaultSocket},
		{clamd.Options{Network: "tcp"}, "tcp", clamd.DefaultTCPAddress},
		{clamd.Options{Network: "tcp", Address: "av.example:3310"}, "tcp", "av.example:3310"},
	}
	for _, tt := range tests {
		c, err := clamd.New(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		o := c.Options()
		if o.Network != tt.net || o.Address != tt.adr || o.Timeout != clamd.DefaultTimeout || o.MaxStreamBytes != clamd.DefaultMaxStreamBytes {
			t.Errorf("New(%+v).Options() = %+v", tt.in, o)
		}
	}
}

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in, net, addr string
		bad           bool
	}{
		{in: "/run/clamav/clamd.ctl", net: "unix", addr: "/run/clamav/clamd.ctl"},
		{in: "unix:/run/clamav/clamd.ctl", net: "unix", addr: "/run/clamav/clamd.ctl"},
		{in: "tcp:127.0.0.1:3310", net: "tcp", addr: "127.0.0.1:3310"},
		{in: "av.city.example.lg.jp:3310", net: "tcp", addr: "av.city.example.lg.jp:3310"},
		{in: "[::1]:3310", net: "tcp", addr: "[::1]:3310"},
		{in: "", bad: true},
		{in: "unix:", bad: true},
		{in: "unix:clamd.ctl", bad: true},
		{in: "clamd.ctl", bad: true},
		{in: "tcp:localhost", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n, a, err := clamd.ParseAddress(tt.in)
			if tt.bad {
				if err == nil {
					t.Fatalf("ParseAddress(%q) = %q, %q, nil; want an error", tt.in, n, a)
				}
				return
			}
			if err != nil || n != tt.net || a != tt.addr {
				t.Fatalf("ParseAddress(%q) = %q, %q, %v; want %q, %q", tt.in, n, a, err, tt.net, tt.addr)
			}
		})
	}
}

// BenchmarkScan measures INSTREAM throughput of clean data over the unix
// socket, clamd's scan included.
func BenchmarkScan(b *testing.B) {
	c := server(b).Client
	for _, size := range []int{64 << 10, 8 << 20} {
		data := randomBytes(size, 4)
		b.Run(byteSize(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := c.Scan(context.Background(), bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "scans/s")
		})
	}
}

func byteSize(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dKiB", n>>10)
}

func TestScanOverTCP(t *testing.T) {
	srv := clamdtest.StartServer(t, clamdtest.Options{TCP: true})
	c := srv.TCPClient
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("Ping over TCP: %v", err)
	}
	for _, tt := range []struct {
		name string
		in   []byte
		want string
	}{
		{"eicar", clamdtest.EICAR(), clamdtest.Signature},
		{"clean", []byte("見積金額 12,000円\n"), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Scan(context.Background(), bytes.NewReader(tt.in))
			if err != nil || got != tt.want {
				t.Fatalf("Scan over TCP = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestHeuristicAlerts: clamd's heuristics, on by default, flag content
// that no signature names, such as a PDF with hex-escaped names (a way to
// hide /JavaScript from naive filters); clamdtest can turn them off.
func TestHeuristicAlerts(t *testing.T) {
	pdf := []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /Open#41ction 3 0 R >>\nendobj\n" +
		"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n" +
		"3 0 obj\n<< /S /#4A#61vaScript /JS (app.alert\\(1\\)) >>\nendobj\n" +
		"trailer\n<< /Root 1 0 R >>\n%%EOF\n")
	t.Run("on", func(t *testing.T) {
		sig, err := server(t).Client.Scan(context.Background(), bytes.NewReader(pdf))
		if err != nil || !strings.HasPrefix(sig, "Heuristics.") {
			t.Fatalf("Scan = %q, %v; want a Heuristics.* signature", sig, err)
		}
		t.Logf("signature %s", sig)
	})
	t.Run("off", func(t *testing.T) {
		srv := clamdtest.StartServer(t, clamdtest.Options{NoHeuristics: true})
		if sig, err := srv.Client.Scan(context.Background(), bytes.NewReader(pdf)); err != nil || sig != "" {
			t.Fatalf("Scan = %q, %v; want clean with heuristics off", sig, err)
		}
		if sig, err := srv.Client.Scan(context.Background(), bytes.NewReader(clamdtest.EICAR())); err != nil || sig != clamdtest.Signature {
			t.Fatalf("Scan of EICAR = %q, %v with heuristics off", sig, err)
		}
	})
}
