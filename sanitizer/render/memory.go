package render

import "github.com/tetratelabs/wazero/experimental"

// cappedAllocator backs each instance's linear memory with a Go slice that
// never grows past limit.
type cappedAllocator struct{ limit uint64 }

func (a cappedAllocator) Allocate(capacity, max uint64) experimental.LinearMemory {
	limit := a.limit
	if max < limit {
		limit = max
	}
	return &cappedMemory{limit: limit, initialCap: capacity}
}

type cappedMemory struct {
	buf        []byte
	limit      uint64
	initialCap uint64
}

func (m *cappedMemory) Reallocate(size uint64) []byte {
	if size > m.limit {
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	// Grow geometrically so that PDFium's many small sbrk calls do not copy
	// the whole memory each time.
	newCap := max(uint64(cap(m.buf))*3/2, size, m.initialCap)
	newCap = min((newCap+wasmPageSize-1)/wasmPageSize*wasmPageSize, m.limit)
	nb := make([]byte, size, newCap)
	copy(nb, m.buf)
	m.buf = nb
	return nb
}

func (m *cappedMemory) Free() { m.buf = nil }
