package spill

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
)

func TestBufferSpillsAboveThreshold(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		size    int
		spilled bool
	}{
		{"small stays in memory", 100, false},
		{"exactly the threshold", 1024, false},
		{"large spills", 5000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := bytes.Repeat([]byte("無害"), tt.size)[:tt.size]
			b, err := From(bytes.NewReader(data), Options{Threshold: 1024, Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if b.Spilled() != tt.spilled {
				t.Errorf("Spilled = %v, want %v", b.Spilled(), tt.spilled)
			}
			got, err := io.ReadAll(b.Open())
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("content differs (%v)", err)
			}
			// Two readers are independent.
			r1, r2 := b.Open(), b.Open()
			p := make([]byte, 3)
			r1.Read(p)
			q := make([]byte, 3)
			r2.Read(q)
			if !bytes.Equal(p, q) {
				t.Error("readers share a position")
			}
			if want := fmt.Sprintf("%x", sha256.Sum256(data)); b.SHA256() != want || b.Size() != int64(len(data)) {
				t.Errorf("hash %s size %d", b.SHA256(), b.Size())
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("Close left %d files behind", len(ents))
			}
			if _, err := b.ReadAt(p, 0); !errors.Is(err, os.ErrClosed) {
				t.Errorf("ReadAt after Close: %v", err)
			}
		})
	}
}

func TestBufferLimit(t *testing.T) {
	b := New(Options{Threshold: 10, Dir: t.TempDir(), Limit: 100})
	defer b.Close()
	if _, err := b.Write(make([]byte, 60)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write(make([]byte, 60)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("write past the limit: %v", err)
	}
	if b.Size() != 60 {
		t.Errorf("size %d after a refused write", b.Size())
	}
}

// TestBufferReadFrom: io.Copy from a reader without WriteTo goes through
// ReadFrom, which keeps every byte across the threshold, hashes them,
// and stops at the limit.
func TestBufferReadFrom(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 10_000) // 100 kB: several reads, past the threshold
	b := New(Options{Threshold: 1024, Dir: t.TempDir()})
	defer b.Close()
	n, err := io.Copy(b, struct{ io.Reader }{bytes.NewReader(data)})
	if err != nil || n != int64(len(data)) || !b.Spilled() {
		t.Fatalf("copied %d, %v, spilled %v", n, err, b.Spilled())
	}
	got, _ := io.ReadAll(b.Open())
	if !bytes.Equal(got, data) || b.SHA256() != fmt.Sprintf("%x", sha256.Sum256(data)) {
		t.Fatal("content or hash differs")
	}
	l := New(Options{Dir: t.TempDir(), Limit: 50_000})
	defer l.Close()
	if _, err := io.Copy(l, struct{ io.Reader }{bytes.NewReader(data)}); !errors.Is(err, ErrTooLarge) || l.Size() > 50_000 {
		t.Fatalf("copy past the limit: %v, size %d", err, l.Size())
	}
}
