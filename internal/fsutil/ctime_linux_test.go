package fsutil

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestChangedIsTheInodeChange: a file whose content is an hour old but
// that was just linked under a new name changed just now.
func TestChangedIsTheInodeChange(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "spooled")
	if err := os.WriteFile(name, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	hour := time.Now().Add(-time.Hour)
	if err := os.Chtimes(name, hour, hour); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(name, filepath.Join(dir, "original")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "original"))
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(fi.ModTime()) < 59*time.Minute {
		t.Fatalf("ModTime %v, want an hour ago", fi.ModTime())
	}
	if d := time.Since(Changed(fi)); d > 10*time.Minute {
		t.Fatalf("Changed is %v ago, want just now", d)
	}
}
