package zipsafe

import (
	"bufio"
	"compress/flate"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
)

// Data returns the entry's stored bytes (compressed, and encrypted when
// the entry is), between its local header and the next record.
func (e *Entry) Data(r io.ReaderAt) *io.SectionReader {
	return io.NewSectionReader(r, e.DataOffset, int64(e.CompressedSize))
}

// Inflater is one Deflate decompressor (RFC 1951), reset for each entry
// in turn: entries are read one after the other, each to its end or its
// refusal, before the next is opened.
type Inflater struct {
	br *bufio.Reader
	fr io.ReadCloser
}

// Reset returns a reader of the Deflate stream src.
func (f *Inflater) Reset(src io.Reader) io.Reader {
	if f.fr == nil {
		f.br = bufio.NewReader(src)
		f.fr = flate.NewReader(f.br)
		return f.fr
	}
	f.br.Reset(src)
	f.fr.(flate.Resetter).Reset(f.br, nil)
	return f.fr
}

// Open returns a reader of an unencrypted entry's content, stored or
// Deflate, that fails as soon as the content runs past the size the
// central directory gives, and at its end when it is shorter or its
// CRC-32 (§4.4.7) differs. Any other entry is refused.
func (e *Entry) Open(r io.ReaderAt) (io.ReadCloser, error) {
	if e.Flags&FlagEncrypted != 0 || e.Method == MethodAES {
		return nil, FormatError(fmt.Sprintf("%q is encrypted", e.Name))
	}
	c := &checkedReader{e: e, crc: crc32.NewIEEE()}
	switch e.Method {
	case MethodStore:
		c.r = e.Data(r)
	case MethodDeflate:
		fr := flate.NewReader(bufio.NewReader(e.Data(r)))
		c.r, c.closer = fr, fr
	default:
		return nil, FormatError(fmt.Sprintf("%q uses compression method %d", e.Name, e.Method))
	}
	return c, nil
}

// checkedReader holds an entry's content to what its central directory
// record says.
type checkedReader struct {
	r      io.Reader
	closer io.Closer
	e      *Entry
	n      uint64
	crc    hash.Hash32
	err    error // first failure, sticky
}

func (c *checkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	c.n += uint64(n)
	c.crc.Write(p[:n])
	switch {
	case c.n > c.e.UncompressedSize:
		c.err = FormatError(fmt.Sprintf("%q is larger than its header says", c.e.Name))
		return 0, c.err
	case err == io.EOF && c.n != c.e.UncompressedSize:
		c.err = FormatError(fmt.Sprintf("%q is shorter than its header says", c.e.Name))
	case err == io.EOF && c.crc.Sum32() != c.e.CRC32:
		c.err = FormatError(fmt.Sprintf("%q: CRC-32 mismatch", c.e.Name))
	case err == io.ErrUnexpectedEOF:
		c.err = FormatError(fmt.Sprintf("%q: data truncated", c.e.Name))
	case err != nil:
		return n, err
	default:
		return n, nil
	}
	return n, c.err
}

func (c *checkedReader) Close() error {
	if c.closer != nil {
		return c.closer.Close()
	}
	return nil
}
