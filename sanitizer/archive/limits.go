package archive

import (
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"sync"
)

// Options bound what an archive may unpack to. The zero value means the
// defaults. The entry and byte limits hold for a whole archive tree: an
// archive nested in another draws on the same allowance as its parent,
// so nesting cannot multiply them.
type Options struct {
	MaxEntries    int   // files across the tree; default 1,000
	MaxTotalBytes int64 // uncompressed bytes across the tree; default 512 MiB
	// MaxRatio bounds each entry's uncompressed size against its
	// compressed size; default 100 (100:1).
	MaxRatio int64
	// RatioFloor is the size below which an entry is not held to
	// MaxRatio (a page of zeros compresses 1000:1 and harms no one);
	// default 1 MiB.
	RatioFloor int64
}

func (o Options) withDefaults() Options {
	if o.MaxEntries <= 0 {
		o.MaxEntries = 1000
	}
	if o.MaxTotalBytes <= 0 {
		o.MaxTotalBytes = 512 << 20
	}
	if o.MaxRatio <= 0 {
		o.MaxRatio = 100
	}
	if o.RatioFloor <= 0 {
		o.RatioFloor = 1 << 20
	}
	return o
}

// limitError is a limit reached: the whole archive is refused.
type limitError struct{ msg string }

func (e *limitError) Error() string { return "archive: " + e.msg }

// IsLimit reports whether err is an archive limit being reached (entry
// count, total size, compression ratio): a zip bomb or something like it.
func IsLimit(err error) bool {
	var le *limitError
	return errors.As(err, &le)
}

// budget is the allowance of one item tree, kept on the sanitizer.Tree so
// that nested archives share it.
type budget struct {
	mu      sync.Mutex
	opts    Options
	entries int
	bytes   int64
	tripped error
}

type budgetKey struct{}

// treeBudget returns the allowance of b.Tree, made for opts by the tree's
// first archive, or a new one for this archive alone without a Tree.
func (b *Rebuilder) treeBudget(opts Options) *budget {
	if b.Tree == nil {
		return &budget{opts: opts}
	}
	return b.Tree.Shared(budgetKey{}, func() any { return &budget{opts: opts} }).(*budget)
}

func (b *budget) trip(err error) error {
	if b.tripped == nil {
		b.tripped = err
	}
	return err
}

func (b *budget) addEntry() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tripped != nil {
		return b.tripped
	}
	b.entries++
	if b.entries > b.opts.MaxEntries {
		return b.trip(&limitError{fmt.Sprintf("more than %d files", b.opts.MaxEntries)})
	}
	return nil
}

func (b *budget) addBytes(n int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tripped != nil {
		return b.tripped
	}
	b.bytes += n
	if b.bytes > b.opts.MaxTotalBytes {
		return b.trip(&limitError{fmt.Sprintf("more than %d bytes uncompressed", b.opts.MaxTotalBytes)})
	}
	return nil
}

// Tripped returns the limit the tree has reached, if any.
func (b *budget) Tripped() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tripped
}

// memberReader streams one entry's content and counts it: it fails as
// soon as the entry passes its ratio bound, its declared size or the
// tree's byte allowance, and checks the CRC-32 at the end. Headers are
// never trusted to stop anything: the count is of the bytes actually
// produced.
type memberReader struct {
	r        io.Reader
	bud      *budget
	n        int64
	maxBytes int64 // ratio bound; <0 for none
	declared int64 // <0 when unknown
	crc      hash.Hash32
	wantCRC  uint32
	checkCRC bool
	err      error // first failure, sticky
}

func (m *memberReader) Read(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	n, err := m.r.Read(p)
	if n > 0 {
		m.n += int64(n)
		if m.crc != nil {
			m.crc.Write(p[:n])
		}
		switch {
		case m.maxBytes >= 0 && m.n > m.maxBytes:
			m.err = m.bud.trip(&limitError{fmt.Sprintf("an entry inflates more than %d:1", m.bud.opts.MaxRatio)})
		case m.declared >= 0 && m.n > m.declared:
			m.err = formatError("entry is larger than its header says")
		}
		if m.err == nil {
			m.err = m.bud.addBytes(int64(n))
		}
		if m.err != nil {
			return 0, m.err
		}
	}
	switch {
	case err == io.EOF:
		if m.declared >= 0 && m.n != m.declared {
			m.err = formatError("entry is shorter than its header says")
		} else if m.checkCRC && m.crc.Sum32() != m.wantCRC {
			m.err = formatError("CRC-32 mismatch")
		} else {
			return n, io.EOF
		}
		return n, m.err
	case err != nil:
		m.err = fmt.Errorf("reading entry: %w", err)
		return n, m.err
	}
	return n, nil
}

// newMemberReader wraps r. csize is the entry's compressed size for the
// ratio bound (<0 for none); declared its uncompressed size (<0 unknown).
func newMemberReader(r io.Reader, bud *budget, csize, declared int64, crc uint32, checkCRC bool) *memberReader {
	m := &memberReader{r: r, bud: bud, declared: declared, wantCRC: crc, checkCRC: checkCRC, maxBytes: -1}
	if csize >= 0 {
		m.maxBytes = max(bud.opts.RatioFloor, csize*bud.opts.MaxRatio)
	}
	if checkCRC {
		m.crc = crc32.NewIEEE()
	}
	return m
}
