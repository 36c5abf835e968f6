package render

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"sync/atomic"
	"testing"

	"github.com/mugai-project/mugai/internal/cputime"
)

// cancelOnRead cancels a document's context the first time PDFium reads
// the byte at offset at: the read happens inside a call into the module, so
// the cancel arrives while that call runs.
type cancelOnRead struct {
	*bytes.Reader
	at     int64
	cancel context.CancelCauseFunc
	cause  error
	fired  atomic.Bool
}

func (r *cancelOnRead) ReadAt(p []byte, off int64) (int, error) {
	if off <= r.at && r.at < off+int64(len(p)) && !r.fired.Swap(true) {
		r.cancel(r.cause)
	}
	return r.Reader.ReadAt(p, off)
}

// pageHashes renders in at 50 dpi and returns a hash of each page's pixels.
func pageHashes(t *testing.T, p *Pool, in []byte) [][32]byte {
	t.Helper()
	var sums [][32]byte
	err := p.PageImages(t.Context(), bytes.NewReader(in), int64(len(in)), Limits{DPI: 50}, func(pg Page) error {
		sums = append(sums, sha256.Sum256(pg.Image.Pix))
		return nil
	})
	if err != nil {
		t.Fatalf("PageImages: %v", err)
	}
	return sums
}

// TestCancelDuringRenderLeavesSlotUsable: a document cancelled while PDFium
// reads its page content inside a render call fails with the cause, and
// the pool's only slot then renders the next document exactly as before.
func TestCancelDuringRenderLeavesSlotUsable(t *testing.T) {
	p, err := New(t.Context(), Options{Instances: 1, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ok := textPDF(t, 2)
	want := pageHashes(t, p, ok)

	// heavyPDF's one content stream is its first object: a read in the
	// middle of the file is a read of page content, which PDFium loads
	// only to render a page.
	heavy := heavyPDF(t, 2, 100_000)
	ctx, cancel := context.WithCancelCause(t.Context())
	defer cancel(nil)
	stop := errors.New("document withdrawn")
	in := &cancelOnRead{Reader: bytes.NewReader(heavy), at: int64(len(heavy) / 2), cancel: cancel, cause: stop}
	_, err = p.Flatten(ctx, in, int64(len(heavy)), io.Discard, Limits{})
	if !in.fired.Load() {
		t.Fatal("PDFium never read the page content")
	}
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v, want %v", err, stop)
	}

	got := pageHashes(t, p, ok)
	if len(got) != len(want) {
		t.Fatalf("after the cancel: %d pages, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("after the cancel: page %d renders differently", i+1)
		}
	}
}

// BenchmarkFreshInstance starts a slot as acquire does after a deadline
// discarded one (the module compiled, in the cache), borrows its instance,
// and discards it again.
func BenchmarkFreshInstance(b *testing.B) {
	p := testPool(b)
	cpu0 := cputime.Process()
	for b.Loop() {
		s, err := p.newSlot()
		if err != nil {
			b.Fatal(err)
		}
		pi, err := s.wasm.GetInstanceWithContext(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		if err := pi.Kill(); err != nil {
			b.Fatal(err)
		}
		if err := s.close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cputime.Process()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}
