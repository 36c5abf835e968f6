package fsutil

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestCopyFile(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(src, []byte("原本"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CopyFile(dst, src, 0o640); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "原本" {
		t.Errorf("copy %q", b)
	}
	if fi, _ := os.Stat(dst); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", fi.Mode())
	}
	if err := CopyFile(dst, src, 0o640); err == nil {
		t.Error("CopyFile overwrote an existing file")
	}
	if err := CopyFile(filepath.Join(dir, "c"), filepath.Join(dir, "missing"), 0o600); err == nil {
		t.Error("CopyFile of a missing file succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "c")); !os.IsNotExist(err) {
		t.Error("a failed copy left a file behind")
	}
}

func TestWriteFileSyncAndSyncDir(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "item.json")
	if err := WriteFileSync(name, []byte("first, longer\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileSync(name, []byte("second\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(name); string(b) != "second\n" {
		t.Errorf("content %q: not truncated", b)
	}
	if err := SyncDir(dir); err != nil {
		t.Fatal(err)
	}
	if err := SyncDir(filepath.Join(dir, "missing")); err == nil {
		t.Error("SyncDir of a missing folder succeeded")
	}
}

// failingReader gives some bytes and then fails, as a disk that fills
// up in the middle of a write.
type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errors.New("device full")
	}
	k := min(r.n, len(p))
	for i := range p[:k] {
		p[i] = 'x'
	}
	r.n -= k
	return k, nil
}

func TestWriteFileSyncFailedWriteKeepsOldContent(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "state.json")
	if err := WriteFileSync(name, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := replace(name, &failingReader{n: 100 << 10}, 0o600); err == nil {
		t.Fatal("a failed write reported success")
	}
	if b, _ := os.ReadFile(name); string(b) != "old\n" {
		t.Errorf("after a failed write: %d bytes %.20q, want the old content", len(b), b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("a failed write left %d files, want only state.json", len(ents))
	}
	if err := replace(filepath.Join(dir, "new.json"), &failingReader{n: 10}, 0o600); err == nil {
		t.Fatal("a failed first write reported success")
	}
	if _, err := os.Stat(filepath.Join(dir, "new.json")); !os.IsNotExist(err) {
		t.Error("a failed first write left a file under its name")
	}
}

func TestWriteFileSyncMode(t *testing.T) {
	dir := t.TempDir()
	for _, perm := range []os.FileMode{0o600, 0o644} {
		name := filepath.Join(dir, perm.String())
		if err := WriteFileSync(name, []byte("pem"), perm); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(name); fi.Mode().Perm() != perm {
			t.Errorf("mode %v, want %v", fi.Mode().Perm(), perm)
		}
	}
}

// contents are two versions of a file, large enough that a write takes
// many system calls.
func contents() [2][]byte {
	return [2][]byte{bytes.Repeat([]byte("old 旧版\n"), 32<<10), bytes.Repeat([]byte("new 新版!\n"), 24<<10)}
}

func TestWriteFileSyncReadersSeeOldOrNew(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "item.json")
	v := contents()
	if err := WriteFileSync(name, v[0], 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	bad := make(chan string, 1)
	go func() {
		defer close(bad)
		for {
			select {
			case <-done:
				return
			default:
			}
			b, err := os.ReadFile(name)
			if err != nil || !bytes.Equal(b, v[0]) && !bytes.Equal(b, v[1]) {
				bad <- fmt.Sprintf("read %d bytes, %v: neither version", len(b), err)
				return
			}
		}
	}()
	for i := range 40 {
		if err := WriteFileSync(name, v[(i+1)%2], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	if msg, ok := <-bad; ok {
		t.Fatal(msg)
	}
}

// TestWriteFileSyncKill9 kills a process that rewrites a file over and
// over and finds one whole version under the name.
func TestWriteFileSyncKill9(t *testing.T) {
	if name := os.Getenv("MUGAI_FSUTIL_REWRITE"); name != "" {
		v := contents()
		for i := 0; ; i++ {
			if err := WriteFileSync(name, v[i%2], 0o600); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	}
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	name := filepath.Join(dir, "item.json")
	v := contents()
	seen := false // a version was under the name: from then on one always is
	for _, wait := range []time.Duration{5, 20, 50, 120} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestWriteFileSyncKill9$")
		cmd.Env = append(os.Environ(), "MUGAI_FSUTIL_REWRITE="+name)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(wait * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		b, err := os.ReadFile(name)
		if errors.Is(err, fs.ErrNotExist) && !seen {
			continue // killed before the first rename (a slow start on a busy machine)
		}
		if err != nil || !bytes.Equal(b, v[0]) && !bytes.Equal(b, v[1]) {
			t.Fatalf("after kill -9: %d bytes, %v: neither version", len(b), err)
		}
		seen = true
	}
}

// TestCreateSync writes a new file and never replaces one.
func TestCreateSync(t *testing.T) {
	name := filepath.Join(t.TempDir(), "state.json")
	if err := CreateSync(name, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CreateSync(name, []byte("two"), 0o600); err == nil {
		t.Fatal("CreateSync replaced an existing file")
	}
	if b, _ := os.ReadFile(name); string(b) != "one" {
		t.Fatalf("content %q", b)
	}
	if fi, _ := os.Stat(name); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
}
