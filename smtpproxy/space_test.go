package smtpproxy

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/fsutil"
	"github.com/mugai-project/mugai/internal/store"
)

// smallDisk mounts a tmpfs of size bytes for the test, or skips when it
// cannot (mounting needs root).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file in dir until the file system has at most leave
// bytes free (0: until ENOSPC), and returns its name.
func fill(t *testing.T, dir string, leave int64) string {
	t.Helper()
	f, err := os.CreateTemp(dir, "filler")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		free, err := fsutil.FreeBytes(dir)
		if err != nil {
			t.Fatal(err)
		}
		if free <= leave {
			return f.Name()
		}
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return f.Name()
			}
			t.Fatal(err)
		}
	}
}

// TestDiskFullReserve runs the relay on a real 4 MiB tmpfs. Under the
// MinFree reserve, MAIL gets 452 4.3.1 while there is still room; with
// the space back, mail is accepted again.
func TestDiskFullReserve(t *testing.T) {
	o := testOptions(t)
	o.DataDir = smallDisk(t, "4m")
	o.MaxMessageBytes = 64 << 10
	o.MinFree = 1 << 20
	r := startAcceptOnly(t, o)
	filler := fill(t, o.DataDir, 512<<10)
	w := dialWire(t, r.Addr().String())
	w.hello()
	expectPrefix(t, "MAIL under the reserve", w.cmd("MAIL FROM:<a@example.com>"), "452 4.3.1")
	os.Remove(filler)
	expectPrefix(t, "MAIL with space", w.cmd("MAIL FROM:<a@example.com>"), "250")
	expectPrefix(t, "RCPT", w.cmd("RCPT TO:<user@lg.example.jp>"), "250")
	expectPrefix(t, "DATA", w.cmd("DATA"), "354")
	w.send(simpleMessage + ".\r\n")
	expectPrefix(t, "end of data", w.reply(), "250")

	t.Run("default reserve", func(t *testing.T) {
		if got := (Options{MaxMessageBytes: 10 << 20}).withDefaults().MinFree; got != 115<<20 {
			t.Fatalf("default MinFree %d, want 1.5 × 10 MiB + 100 MiB", got)
		}
	})
}

// TestDiskFullRetry fills a real tmpfs to the last byte under a message
// already accepted: its processing fails with ENOSPC, and once space is
// freed it is processed and delivered within seconds, although the next
// rescan of the spool is an hour away.
func TestDiskFullRetry(t *testing.T) {
	o := testOptions(t)
	o.DataDir = smallDisk(t, "4m")
	o.MaxMessageBytes = 64 << 10
	o.MinFree = 1 << 20
	acc := startAcceptOnly(t, o)
	if err := sendMail(t, acc.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, simpleMessage); err != nil {
		t.Fatal(err)
	}
	// The metadata database stays on an ordinary disk: this test is
	// about the spool, the quarantine and the outbox.
	_, db := OpenTestStores(t, t.TempDir())
	q, err := store.NewFS(filepath.Join(o.DataDir, "quarantine"))
	if err != nil {
		t.Fatal(err)
	}
	filler := fill(t, o.DataDir, 0)
	o.ScanInterval = time.Hour
	r, err := New(o, testEngine(t), q, db)
	if err != nil {
		t.Fatal(err)
	}
	r.Start()
	defer r.Shutdown(context.Background())
	waitFor(t, "processing to fail for lack of space", func() bool { return r.spaceLow.Load() != 0 })
	if got := maildirFiles(t, r, "user@lg.example.jp"); len(got) != 0 {
		t.Fatal("delivered on a full disk")
	}
	os.Remove(filler)
	start := time.Now()
	waitFor(t, "the delivery once space is back", func() bool { return len(maildirFiles(t, r, "user@lg.example.jp")) == 1 })
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("delivered %v after space came back", d)
	}
	if got := maildirFiles(t, r, "user@lg.example.jp")[0]; !strings.Contains(got, "X-Mugai-Sanitized: ") {
		t.Fatalf("not the sanitized message: %q", got)
	}
}
