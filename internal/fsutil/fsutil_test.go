package fsutil

import (
	"os"
	"path/filepath"
	"testing"
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
