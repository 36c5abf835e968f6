package mail

import (
	"bufio"
	"bytes"
	"io"
)

// crLines returns a reader of br's message with each bare CR turned into
// CRLF, and true, when the message ends its lines with CR alone; else br
// itself and false.
//
// QUIRK: old Mac OS mailers end lines with a bare CR. RFC 5322 §2.1
// allows only CRLF, and every reader here splits lines at LF, so such a
// message would be one long header line with nothing after it. The
// first line end in the first 8 KiB decides: a CR not followed by LF
// means CR line ends throughout. Messages with LF or CRLF line ends pass
// unchanged, so a bare CR inside one of them stays what it was.
func crLines(br *bufio.Reader) (*bufio.Reader, bool) {
	head, _ := br.Peek(8 << 10)
	i := bytes.IndexAny(head, "\r\n")
	if i < 0 || i+1 == len(head) || head[i] != '\r' || head[i+1] == '\n' {
		return br, false
	}
	return bufio.NewReaderSize(&crReader{r: br}, 8<<10), true
}

// crReader turns every CR not followed by LF into CRLF.
type crReader struct {
	r      io.Reader
	buf    [4096]byte
	out    []byte // what is left to return
	ob     []byte // out's storage, reused
	lastCR bool   // the last byte read was a CR
	err    error
}

func (c *crReader) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		n, err := c.r.Read(c.buf[:])
		c.err = err
		out := c.ob[:0]
		for _, b := range c.buf[:n] {
			if c.lastCR && b != '\n' {
				out = append(out, '\n')
			}
			out = append(out, b)
			c.lastCR = b == '\r'
		}
		if err != nil && c.lastCR {
			out = append(out, '\n')
			c.lastCR = false
		}
		c.ob, c.out = out, out
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}
