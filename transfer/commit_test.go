package transfer

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/mugai-project/mugai/internal/fsutil/fsutiltest"
	"github.com/mugai-project/mugai/internal/store"
)

// refusingQuarantine is the site's quarantine failing every Put after
// the first: a fault (a full or unreachable store) the real one cannot
// be made to show on demand for one file of an upload.
type refusingQuarantine struct {
	store.Quarantine
	puts int
}

func (q *refusingQuarantine) Put(ctx context.Context, it store.Item, r io.Reader) (string, error) {
	if q.puts++; q.puts > 1 {
		return "", errors.New("quarantine unavailable")
	}
	return q.Quarantine.Put(ctx, it, r)
}

// refusingLinker is refusingQuarantine keeping originals by a link
// (store.Linker), as the site's own quarantine does.
type refusingLinker struct{ *refusingQuarantine }

func (q refusingLinker) PutLink(ctx context.Context, it store.Item, file string, offset int64) (string, error) {
	if q.puts++; q.puts > 1 {
		return "", errors.New("quarantine unavailable")
	}
	return q.Quarantine.(store.Linker).PutLink(ctx, it, file, offset)
}

// TestUploadRefusedWhenItsOriginalCannotBeKept: an upload is answered
// 202 only once every original is in the quarantine; when one cannot be
// kept, copied or linked, the upload fails whole: 500, no item, and the
// originals already kept are taken out again.
func TestUploadRefusedWhenItsOriginalCannotBeKept(t *testing.T) {
	for _, tc := range []struct {
		name string
		wrap func(store.Quarantine) store.Quarantine
	}{
		{"copied", func(q store.Quarantine) store.Quarantine { return &refusingQuarantine{Quarantine: q} }},
		{"linked", func(q store.Quarantine) store.Quarantine { return refusingLinker{&refusingQuarantine{Quarantine: q}} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startSite(t, Options{PlainHTTP: true})
			real := ts.s.q
			ts.s.q = tc.wrap(real)
			alice := ts.newClient(ts.up).login("alice")
			st, body := alice.upload("", map[string][]byte{"a.txt": []byte(plainText), "b.txt": []byte(plainText)}, true)
			if st != http.StatusInternalServerError {
				t.Fatalf("upload with an original that cannot be kept: %d %s", st, body)
			}
			ctx := context.Background()
			if items, err := ts.s.uploadsOf(ctx, "alice", 100); err != nil || len(items) != 0 {
				t.Errorf("items after the refused upload: %d (%v)", len(items), err)
			}
			if kept, err := real.List(ctx, store.Filter{}); err != nil || len(kept) != 0 {
				t.Errorf("originals left in the quarantine: %d (%v)", len(kept), err)
			}
		})
	}
}

// TestUploadLinkedOriginalsDurableBeforeAccepted: where the originals
// are the received files linked into the quarantine, the upload is
// answered 202 only after one barrier of the file system that began once
// every original was linked and before any item was recorded; when the
// barrier fails, the upload fails whole: 500, no item, no original.
func TestUploadLinkedOriginalsDurableBeforeAccepted(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fail   error
		status int
		items  int
	}{
		{"synced", nil, http.StatusAccepted, 2},
		{"sync failed", errors.New("syncfs: input/output error"), http.StatusInternalServerError, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startSite(t, Options{PlainHTTP: true})
			ctx := context.Background()
			b := &fsutiltest.Barrier{Real: ts.s.durable}
			b.At = func() error {
				if kept, err := ts.s.q.List(ctx, store.Filter{}); err != nil || len(kept) != 2 {
					t.Errorf("originals in the quarantine at the barrier: %d (%v), want 2", len(kept), err)
				}
				parts, _ := filepath.Glob(filepath.Join(ts.s.incoming, "*.part"))
				for _, p := range parts {
					if fi, err := os.Stat(p); err != nil || fi.Sys().(*syscall.Stat_t).Nlink != 2 {
						t.Errorf("%s at the barrier: %v, not linked into the quarantine", p, err)
					}
				}
				if len(parts) != 2 {
					t.Errorf("received files at the barrier: %d, want 2", len(parts))
				}
				if items, err := ts.s.uploadsOf(ctx, "alice", 100); err != nil || len(items) != 0 {
					t.Errorf("items recorded before the barrier: %d (%v)", len(items), err)
				}
				return tc.fail
			}
			ts.s.durable = b
			alice := ts.newClient(ts.up).login("alice")
			st, body := alice.upload("", map[string][]byte{"a.txt": []byte(plainText), "b.txt": []byte(plainText)}, true)
			if st != tc.status {
				t.Fatalf("upload: %d %s, want %d", st, body, tc.status)
			}
			if n := b.Syncs(); n != 1 {
				t.Errorf("barriers for one upload of two files: %d, want 1", n)
			}
			if items, err := ts.s.uploadsOf(ctx, "alice", 100); err != nil || len(items) != tc.items {
				t.Errorf("items after the upload: %d (%v), want %d", len(items), err, tc.items)
			}
			if kept, err := ts.s.q.List(ctx, store.Filter{}); err != nil || len(kept) != tc.items {
				t.Errorf("originals after the upload: %d (%v), want %d", len(kept), err, tc.items)
			}
		})
	}
}

// copyingQuarantine is the site's quarantine without its ability to keep
// a file by a link (store.Linker): as a quarantine on another kind of
// store, it is given a copy.
type copyingQuarantine struct{ store.Quarantine }

// TestUploadOriginalIsTheReceivedFile: where the quarantine is a folder
// on the data folder's file system, an accepted upload's original is the
// received file itself, a second name of it, not a copy; on another file
// system it is a copy. Either way the quarantine gives back the bytes
// received. It logs the bytes this process wrote to disk to accept one
// upload (/proc/self/io write_bytes), linked and copied.
func TestUploadOriginalIsTheReceivedFile(t *testing.T) {
	data := make([]byte, 16<<20)
	rand.Read(data)
	for _, tc := range []struct {
		name  string
		q     func(t *testing.T, site store.Quarantine) store.Quarantine
		links uint64 // names of the received file once accepted
	}{
		{"linked", func(*testing.T, store.Quarantine) store.Quarantine { return nil }, 2},
		{"copied", func(_ *testing.T, site store.Quarantine) store.Quarantine { return copyingQuarantine{site} }, 1},
		{"other file system", func(t *testing.T, _ store.Quarantine) store.Quarantine {
			// /dev/shm is a tmpfs: a link there from the data folder fails
			// with EXDEV.
			dir, err := os.MkdirTemp("/dev/shm", "mugai-quarantine-")
			if err != nil {
				t.Skip("no /dev/shm: ", err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			q, err := store.NewFS(dir)
			if err != nil {
				t.Fatal(err)
			}
			return q
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startSite(t, Options{PlainHTTP: true})
			if q := tc.q(t, ts.s.q); q != nil {
				ts.s.q = q
			}
			ctx := context.Background()
			before := writeBytes(t)
			it, uerr := ts.s.receive("alice", "data.bin", bytes.NewReader(data))
			if uerr != nil {
				t.Fatal(uerr)
			}
			if err := ts.s.commit(ctx, []*Item{it}); err != nil {
				t.Fatal(err)
			}
			written := writeBytes(t) - before
			t.Logf("an upload of %d MiB accepted: %.1f MiB written to disk", len(data)>>20, float64(written)/(1<<20))
			fi, err := os.Stat(filepath.Join(ts.s.incoming, it.ID))
			if err != nil {
				t.Fatal(err)
			}
			if n := fi.Sys().(*syscall.Stat_t).Nlink; n != tc.links {
				t.Errorf("the received file has %d names, want %d", n, tc.links)
			}
			kept, rc, err := ts.s.q.Get(ctx, it.ID)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, data) || kept.SHA256 != it.SHA256 || kept.Size != int64(len(data)) {
				t.Errorf("the quarantine's original: %d bytes, %s, size %d (%v); want the %d bytes received, %s", len(got), kept.SHA256, kept.Size, err, len(data), it.SHA256)
			}
			if err := os.Remove(filepath.Join(ts.s.incoming, it.ID)); err != nil {
				t.Fatal(err)
			}
			if _, rc, err := ts.s.q.Get(ctx, it.ID); err != nil {
				t.Errorf("the original once the received file is gone: %v", err)
			} else {
				rc.Close()
			}
		})
	}
}

// writeBytes is what this process has caused to be written to storage
// (proc(5), /proc/pid/io).
func writeBytes(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skip("no /proc/self/io: ", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "write_bytes: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no write_bytes in /proc/self/io")
	return 0
}
