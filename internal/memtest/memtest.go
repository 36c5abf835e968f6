// Package memtest measures memory for tests that prove a bound, such as
// a zip bomb or a 100 MiB message staying within a few MiB of heap.
package memtest

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// PeakHeap runs f while sampling the heap every 2 ms and returns the
// largest HeapAlloc seen (after a GC before f starts). Sampling can miss
// a short spike, so a bound asserted on it should have a margin.
func PeakHeap(f func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	return peak.Load()
}
