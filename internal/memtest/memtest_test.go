package memtest

import "testing"

var sink []byte

func TestPeakHeapSeesAnAllocation(t *testing.T) {
	const size = 64 << 20
	peak := PeakHeap(func() {
		sink = make([]byte, size)
		for i := range sink {
			sink[i] = 1
		}
	})
	sink = nil
	if peak < size {
		t.Errorf("peak %d below the %d bytes held", peak, size)
	}
}
