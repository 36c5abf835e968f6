// Package spill is a write-once byte buffer that stays in memory up to a
// threshold and moves to a temporary file above it, so that bodies of any
// size can be held once, read many times, and never twice in memory.
//
// The owner of a Buffer removes its temporary file by calling Close.
package spill

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
)

// DefaultThreshold is the in-memory size used when Options.Threshold is zero.
const DefaultThreshold = 1 << 20

// ErrTooLarge is returned by Write once more than Options.Limit bytes were written.
var ErrTooLarge = errors.New("spill: size limit exceeded")

// Options configure a Buffer. The zero value keeps 1 MiB in memory, spills
// to os.TempDir and has no size limit.
type Options struct {
	Threshold int64  // bytes kept in memory before spilling; 0 means DefaultThreshold
	Dir       string // folder for the temporary file; "" means os.TempDir()
	Limit     int64  // largest accepted size; 0 means unlimited
}

// Buffer collects bytes written to it and then serves them through
// io.ReaderAt and Open. It hashes what it is given with SHA-256 on the way.
type Buffer struct {
	opts   Options
	mem    bytes.Buffer
	file   *os.File
	size   int64
	sum    hash.Hash
	closed bool
}

// New returns an empty Buffer.
func New(opts Options) *Buffer {
	if opts.Threshold <= 0 {
		opts.Threshold = DefaultThreshold
	}
	return &Buffer{opts: opts, sum: sha256.New()}
}

// From copies r into a new Buffer. On error the Buffer is closed and nil is returned.
func From(r io.Reader, opts Options) (*Buffer, error) {
	b := New(opts)
	if _, err := io.Copy(b, r); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// Write appends p. It fails with ErrTooLarge once Limit is passed; the
// caller should then Close the Buffer.
func (b *Buffer) Write(p []byte) (int, error) {
	if b.closed {
		return 0, os.ErrClosed
	}
	if b.opts.Limit > 0 && b.size+int64(len(p)) > b.opts.Limit {
		return 0, ErrTooLarge
	}
	if b.file == nil && int64(b.mem.Len()+len(p)) > b.opts.Threshold {
		f, err := os.CreateTemp(b.opts.Dir, "mugai-spill-*")
		if err != nil {
			return 0, fmt.Errorf("spill: %w", err)
		}
		if _, err := f.Write(b.mem.Bytes()); err != nil {
			f.Close()
			os.Remove(f.Name())
			return 0, fmt.Errorf("spill: %w", err)
		}
		b.file = f
		b.mem = bytes.Buffer{}
	}
	var n int
	var err error
	if b.file != nil {
		n, err = b.file.Write(p)
	} else {
		n, err = b.mem.Write(p)
	}
	b.size += int64(n)
	b.sum.Write(p[:n])
	return n, err
}

// ReadFrom implements io.ReaderFrom, so that io.Copy into a Buffer uses
// a copy buffer from a pool instead of allocating 32 KiB for each copy
// (a mail makes several: one for each part it checks).
func (b *Buffer) ReadFrom(r io.Reader) (int64, error) {
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	var total int64
	for {
		n, err := r.Read(*bp)
		if n > 0 {
			w, werr := b.Write((*bp)[:n])
			total += int64(w)
			if werr != nil {
				return total, werr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// copyBuffers are ReadFrom's buffers.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// Size is the number of bytes written.
func (b *Buffer) Size() int64 { return b.size }

// SHA256 is the hex SHA-256 of the bytes written so far.
func (b *Buffer) SHA256() string { return fmt.Sprintf("%x", b.sum.Sum(nil)) }

// Spilled reports whether the content lives in a temporary file.
func (b *Buffer) Spilled() bool { return b.file != nil }

// ReadAt implements io.ReaderAt over the content written so far.
func (b *Buffer) ReadAt(p []byte, off int64) (int, error) {
	if b.closed {
		return 0, os.ErrClosed
	}
	if b.file != nil {
		return b.file.ReadAt(p, off)
	}
	return bytes.NewReader(b.mem.Bytes()).ReadAt(p, off)
}

// Open returns an independent reader positioned at the start. It is valid
// until the Buffer is closed.
func (b *Buffer) Open() *io.SectionReader {
	return io.NewSectionReader(b, 0, b.size)
}

// Bytes returns the content when it is held in memory, else nil.
func (b *Buffer) Bytes() []byte {
	if b.file != nil {
		return nil
	}
	return b.mem.Bytes()
}

// Close releases the memory and removes the temporary file. It is safe to
// call more than once.
func (b *Buffer) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	b.mem = bytes.Buffer{}
	if b.file == nil {
		return nil
	}
	name := b.file.Name()
	err := b.file.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	return err
}
