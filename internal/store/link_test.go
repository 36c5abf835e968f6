package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestFSPutLink keeps the part of a spooled file after its header as the
// original without copying it: it reads back as that part, survives the
// spool file's removal, and a wrong hash fails closed at Get.
func TestFSPutLink(t *testing.T) {
	s, dir := newFS(t)
	ctx := context.Background()
	header, body := `{"id":"m1"}`+"\n", "Received: from a\r\n\r\n本文\r\n"
	spooled := filepath.Join(dir, "spooled")
	if err := os.WriteFile(spooled, []byte(header+body), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	it := Item{ID: "m1", Name: "message.eml", Reason: "original", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(body))}
	if _, err := s.PutLink(ctx, it, spooled, int64(len(header))); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(spooled); err != nil {
		t.Fatal(err)
	}
	got, b := readAll(t, s, "m1")
	if b != body || got.Size != int64(len(body)) || got.State != Held {
		t.Fatalf("got %q, %+v", b, got)
	}
	if _, err := s.PutLink(ctx, it, spooled, 0); !errors.Is(err, ErrExists) {
		t.Fatalf("a second PutLink: %v, want ErrExists", err)
	}
	if err := s.SetState(ctx, "m1", Purged, "test"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, "m1"); !errors.Is(err, ErrPurged) {
		t.Fatalf("purged: %v", err)
	}

	// The caller's hash is trusted when stored and checked when read.
	os.WriteFile(spooled, []byte(header+body), 0o600)
	it.ID, it.SHA256 = "m2", hex.EncodeToString(make([]byte, 32))
	if _, err := s.PutLink(ctx, it, spooled, int64(len(header))); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, "m2"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a wrong hash: %v, want ErrCorrupt", err)
	}
	it.ID, it.SHA256 = "m3", ""
	if _, err := s.PutLink(ctx, it, spooled, 0); err == nil {
		t.Fatal("PutLink without a hash succeeded")
	}
}

// TestFSPutLinkCompletesTorn: PutLink makes nothing durable itself
// (Linker), so a power loss before its caller's barrier can leave an
// item whose record is empty or missing. PutLink again, from the
// caller's durable copy, replaces what is left instead of taking it for
// a stored item; over a whole item it still answers ErrExists.
func TestFSPutLinkCompletesTorn(t *testing.T) {
	s, dir := newFS(t)
	ctx := context.Background()
	body := "Received: from a\r\n\r\n本文\r\n"
	spooled := filepath.Join(dir, "spooled")
	if err := os.WriteFile(spooled, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	it := Item{ID: "m1", Name: "message.eml", Reason: "original", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(body))}
	record := s.recordPath("m1")
	for name, tear := range map[string]func() error{
		"empty record":   func() error { return os.Truncate(record, 0) },
		"missing record": func() error { return os.Remove(record) },
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.PutLink(ctx, it, spooled, 0); err != nil && !errors.Is(err, ErrExists) {
				t.Fatal(err)
			}
			if err := tear(); err != nil {
				t.Fatal(err)
			}
			if _, err := s.PutLink(ctx, it, spooled, 0); err != nil {
				t.Fatalf("PutLink over a torn item: %v", err)
			}
			if got, b := readAll(t, s, "m1"); b != body || got.SHA256 != it.SHA256 {
				t.Fatalf("got %q, %+v", b, got)
			}
			if _, err := s.PutLink(ctx, it, spooled, 0); !errors.Is(err, ErrExists) {
				t.Fatalf("PutLink over a whole item: %v, want ErrExists", err)
			}
		})
	}
}
