package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mugai-project/mugai/internal/natstest"
)

// blobBackend is one Blobs implementation under test.
type blobBackend struct {
	name  string
	start func(t *testing.T) (open func(t *testing.T) Blobs)
}

var blobBackends = []blobBackend{
	{"folder", func(*testing.T) func(*testing.T) Blobs {
		return func(t *testing.T) Blobs {
			f, err := NewFolder(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}},
	{"jetstream", func(t *testing.T) func(*testing.T) Blobs {
		js := natstest.Connect(t, natstest.Start(t, 3).URLs())
		var n atomic.Int32
		return func(t *testing.T) Blobs {
			b, err := NewObjectBlobs(context.Background(), js, ObjectBlobsOptions{Replicas: 3, Bucket: fmt.Sprintf("b%d", n.Add(1)), TempDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}},
}

// TestBlobs proves the Blobs contract on every backend.
func TestBlobs(t *testing.T) {
	cases := []struct {
		name string
		test func(t *testing.T, b Blobs)
	}{
		{"RoundTrip", testBlobsRoundTrip},
		{"Remove", testBlobsRemove},
		{"InvalidItem", testBlobsInvalidItem},
	}
	for _, bb := range blobBackends {
		t.Run(bb.name, func(t *testing.T) {
			open := bb.start(t)
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { c.test(t, open(t)) })
			}
		})
	}
}

// readBlob reads blob index of item whole, then its last 4 bytes again
// by Seek and by ReadAt, and checks Size.
func readBlob(t *testing.T, b Blobs, item string, index int) string {
	t.Helper()
	blob, err := b.Open(context.Background(), item, index)
	if err != nil {
		t.Fatal(err)
	}
	defer blob.Close()
	all, err := io.ReadAll(blob)
	if err != nil {
		t.Fatal(err)
	}
	if blob.Size() != int64(len(all)) {
		t.Errorf("Size %d, read %d bytes", blob.Size(), len(all))
	}
	if len(all) >= 4 {
		tail := make([]byte, 4)
		if _, err := blob.ReadAt(tail, blob.Size()-4); err != nil || string(tail) != string(all[len(all)-4:]) {
			t.Errorf("ReadAt: %q, %v", tail, err)
		}
		if _, err := blob.Seek(-4, io.SeekEnd); err != nil {
			t.Fatal(err)
		}
		if rest, _ := io.ReadAll(blob); string(rest) != string(all[len(all)-4:]) {
			t.Errorf("after Seek: %q", rest)
		}
	}
	return string(all)
}

func testBlobsRoundTrip(t *testing.T, b Blobs) {
	ctx := context.Background()
	big := strings.Repeat("黒塗り済み ", 150_000) // 2 MB: several chunks, spilled to a file
	for i, body := range []string{"%PDF-1.7 報告書", big, ""} {
		if err := b.Put(ctx, "item-1", i, strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []string{"%PDF-1.7 報告書", big, ""} {
		if got := readBlob(t, b, "item-1", i); got != want {
			t.Errorf("blob %d: %d bytes, want %d", i, len(got), len(want))
		}
	}
	if err := b.Put(ctx, "item-1", 0, strings.NewReader("replaced")); err != nil {
		t.Fatal(err)
	}
	if got := readBlob(t, b, "item-1", 0); got != "replaced" {
		t.Errorf("after a second Put: %q", got)
	}
	if _, err := b.Open(ctx, "item-1", 3); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open of a blob never put: %v", err)
	}
}

func testBlobsRemove(t *testing.T, b Blobs) {
	ctx := context.Background()
	for i := range 3 {
		if err := b.Put(ctx, "gone", i, strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Put(ctx, "kept", 0, strings.NewReader("kept")); err != nil {
		t.Fatal(err)
	}
	if err := b.Remove(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := b.Open(ctx, "gone", i); !errors.Is(err, ErrNotFound) {
			t.Errorf("blob %d after Remove: %v", i, err)
		}
	}
	if err := b.Remove(ctx, "gone"); err != nil {
		t.Errorf("a second Remove: %v", err)
	}
	if got := readBlob(t, b, "kept", 0); got != "kept" {
		t.Errorf("another item's blob: %q", got)
	}
}

func testBlobsInvalidItem(t *testing.T, b Blobs) {
	ctx := context.Background()
	for _, item := range []string{"../x", "", "a/b", "a.b"} {
		if err := b.Put(ctx, item, 0, strings.NewReader("x")); !errors.Is(err, ErrInvalidID) {
			t.Errorf("Put(%q) = %v", item, err)
		}
		if _, err := b.Open(ctx, item, 0); !errors.Is(err, ErrInvalidID) {
			t.Errorf("Open(%q) = %v", item, err)
		}
		if err := b.Remove(ctx, item); !errors.Is(err, ErrInvalidID) {
			t.Errorf("Remove(%q) = %v", item, err)
		}
	}
	if _, err := b.Open(ctx, "item", -1); !errors.Is(err, ErrInvalidID) {
		t.Errorf("Open(index -1) = %v", err)
	}
}

// TestObjectBlobsSharedBetweenNodes: an output one node stored is read
// whole by another node after the first node's connection is closed
// and the server it was connected to is killed (SIGKILL).
func TestObjectBlobsSharedBetweenNodes(t *testing.T) {
	c := natstest.Start(t, 3)
	ctx := context.Background()
	opts := ObjectBlobsOptions{Replicas: 3, TempDir: t.TempDir()}
	js1 := natstest.Connect(t, c.URL(0))
	node1, err := NewObjectBlobs(ctx, js1, opts)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("無害化済み PDF ", 100_000)
	if err := node1.Put(ctx, "20261206T000000Z-0123456789abcdef", 0, strings.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	js1.Conn().Close() // node 1 is gone
	c.Kill(0)
	node2, err := NewObjectBlobs(ctx, natstest.Connect(t, c.URL(1)+","+c.URL(2)), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := readBlob(t, node2, "20261206T000000Z-0123456789abcdef", 0); got != body {
		t.Fatalf("node 2 read %d bytes of %d", len(got), len(body))
	}
}
