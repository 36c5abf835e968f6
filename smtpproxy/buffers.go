package smtpproxy

import (
	"bufio"
	"io"
	"sync"
)

// The relay's copy and read buffers, taken from pools: a message moves
// through three copies of 32 to 64 KiB (accepting, reading the spool
// file's envelope, writing the outbox entry), which made most of what
// the relay allocated for each, and its garbage collector's work.
var (
	copyBuffers  = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}
	spoolReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, envelopeMax) }}
)

// envelopeMax bounds the envelope line of a spool file.
const envelopeMax = 64 << 10

// copyPooled is io.Copy with a buffer from the pool, and without the
// WriterTo and ReaderFrom shortcuts that would allocate their own.
func copyPooled(w io.Writer, r io.Reader) (int64, error) {
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	return io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{r}, *bp)
}
