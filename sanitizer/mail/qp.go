package mail

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// qpReader decodes quoted-printable (RFC 2045 §6.7) leniently, so that
// a broken encoder never shortens a part: "=XX" (hex digits in either
// case) is the octet, an "=" ending a line (after blanks) is a soft line
// break, blanks ending a line are removed (rule 3), and everything else
// is kept as itself: an "=" without two hex digits after it, 8-bit bytes
// and control characters.
//
// QUIRK: Exchange Online writes ISO-2022-JP text with its raw ESC bytes
// into quoted-printable bounces; Go's mime/quotedprintable stops at the
// first one with an error, which would lose the rest of the part.
type qpReader struct {
	br    *bufio.Reader
	carry []byte // the end of a long line that may continue "=XX" or blanks
	out   []byte
	ob    []byte // out's storage, reused
	err   error
}

func newQPReader(r io.Reader) *qpReader {
	return &qpReader{br: bufio.NewReaderSize(r, 8<<10)}
}

// maxCarry bounds the blanks held back at the end of a long line piece:
// longer runs cannot all be trailing white space that matters.
const maxCarry = 1 << 10

func (q *qpReader) Read(p []byte) (int, error) {
	for len(q.out) == 0 {
		if q.err != nil {
			return 0, q.err
		}
		chunk, err := q.br.ReadSlice('\n')
		full := errors.Is(err, bufio.ErrBufferFull)
		if err != nil && !full {
			q.err = err
		}
		line := chunk
		if len(q.carry) > 0 {
			line = append(q.carry, chunk...)
			q.carry = q.carry[:0]
		}
		out := q.ob[:0]
		if full {
			cut := safeCut(line)
			out = qpDecode(out, line[:cut])
			q.carry = append(q.carry, line[cut:]...)
		} else {
			out = qpLine(out, line)
		}
		q.ob, q.out = out, out
	}
	n := copy(p, q.out)
	q.out = q.out[n:]
	return n, nil
}

// safeCut is where a piece of a long line can be decoded without its
// continuation: before trailing blanks (up to maxCarry) and before an
// "=" that may start an escape or a soft line break.
func safeCut(b []byte) int {
	cut := len(b)
	for cut > 0 && len(b)-cut < maxCarry && (b[cut-1] == ' ' || b[cut-1] == '\t') {
		cut--
	}
	switch {
	case cut >= 1 && b[cut-1] == '=':
		cut--
	case cut >= 2 && b[cut-2] == '=':
		cut -= 2
	}
	return cut
}

// qpLine decodes one whole line, with its line end if it has one.
func qpLine(dst, line []byte) []byte {
	body := trimEOL(line)
	eol := line[len(body):]
	body = bytes.TrimRight(body, " \t")
	if soft := bytes.HasSuffix(body, []byte("=")); soft {
		return qpDecode(dst, body[:len(body)-1])
	}
	return append(qpDecode(dst, body), eol...)
}

// qpDecode appends the octets of b, with "=XX" escapes undone.
func qpDecode(dst, b []byte) []byte {
	for i := 0; i < len(b); i++ {
		if b[i] == '=' && i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]) {
			dst = append(dst, unhex(b[i+1])<<4|unhex(b[i+2]))
			i += 2
			continue
		}
		dst = append(dst, b[i])
	}
	return dst
}
