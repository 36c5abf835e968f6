package app

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mugai-project/mugai/transfer"
)

// stepClock is a clock that moves only when told, and that tells when it
// has been read a number of times.
type stepClock struct {
	mu    sync.Mutex
	t     time.Time
	reads int
	at    int           // reads at which read is closed
	read  chan struct{} // nil: nobody waits
}

func (c *stepClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	if c.read != nil && c.reads >= c.at {
		close(c.read)
		c.read = nil
	}
	return c.t
}

func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// afterReads is closed once the clock has been read n more times.
func (c *stepClock) afterReads(n int) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.read, c.at = make(chan struct{}), c.reads+n
	return c.read
}

// TestConsoleProbesPartsOncePerWindow: the console's status page starts
// LibreOffice and tesseract in their sandboxes once per 30 s, not at each
// load: a second load within the window shows the first probe's answer
// and when it was made; loads that come together after the window share
// one new probe. The probe is the engine's own (real LibreOffice and
// tesseract under bubblewrap), counted where the console calls it.
func TestConsoleProbesPartsOncePerWindow(t *testing.T) {
	ctx := context.Background()
	_, parts := sandboxedParts(t)
	data := t.TempDir()
	clk := &stepClock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	ops := NewOperations(OperationsOptions{DataDir: data, OutboxDir: data + "/outbox", Parts: parts, Now: clk.now}).(*operations)
	var probes atomic.Int32
	var gate <-chan struct{} // when set, a probe waits for it
	probe := ops.parts.probe
	ops.parts.probe = func(ctx context.Context) (transfer.PartStatus, transfer.PartStatus) {
		probes.Add(1)
		if gate != nil {
			<-gate
		}
		return probe(ctx)
	}
	load := func() transfer.AdminStatus {
		t.Helper()
		st, err := ops.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}

	first := clk.t
	st := load()
	if n := probes.Load(); n != 1 || st.Office.State != transfer.PartUp || st.OCR.State != transfer.PartUp || !st.PartsChecked.Equal(first) {
		t.Fatalf("first load: %d probes, LibreOffice %+v, tesseract %+v, checked %v; want 1 probe, both up, checked %v", n, st.Office, st.OCR, st.PartsChecked, first)
	}
	if st.Renderer.State != transfer.PartIdle {
		t.Errorf("renderer %+v before any PDF, want idle", st.Renderer)
	}
	clk.advance(29 * time.Second)
	st = load()
	if n := probes.Load(); n != 1 || st.Office.State != transfer.PartUp || !st.PartsChecked.Equal(first) {
		t.Fatalf("a load 29 s later: %d probes, LibreOffice %+v, checked %v; want the first probe's answer", n, st.Office, st.PartsChecked)
	}

	// Past the window, four loads at once: the probe waits until each
	// has looked at the clock (and found the answer too old), so that
	// each would start its own unless they share the one in flight.
	clk.advance(2 * time.Second)
	const loads = 4
	gate = clk.afterReads(loads)
	var wg sync.WaitGroup
	got := make([]transfer.AdminStatus, loads)
	for i := range loads {
		wg.Go(func() { got[i], _ = ops.Status(ctx) })
	}
	wg.Wait()
	if n := probes.Load(); n != 2 {
		t.Fatalf("%d loads together after the window: %d probes in all, want 2", loads, n)
	}
	for i, st := range got {
		if !st.PartsChecked.Equal(clk.t) || st.Office.State != transfer.PartUp {
			t.Errorf("load %d after the window: checked %v, LibreOffice %+v; want the new probe's answer at %v", i, st.PartsChecked, st.Office, clk.t)
		}
	}
}
