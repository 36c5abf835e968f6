package mail

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// guard sits between a multipart body and go-message's multipart reader.
// go-message reads each part header with no bound (a 20 MB part header
// allocates seven times that), so the guard, which knows the boundary,
// bounds every part header on the way: bytes, fields and line length. It
// also drops the preamble and epilogue (RFC 2046 §5.1.1: to be ignored),
// so that go-message's line reader never meets their long lines, and
// removes NUL bytes from part headers.
//
// QUIRK: a part header line that is neither a field nor a continuation
// ends the part header (a blank line is inserted before it), as at the
// top level, instead of failing the whole multipart.
type guard struct {
	br       *bufio.Reader
	o        Options
	dash     []byte // "--" + boundary
	state    int
	hdrBytes int
	hdrCount int
	midLine  bool // the last line was cut by the buffer; not at a line start
	out      []byte
	err      error
	repaired int
	nul      int
}

// guardBuffer bounds one physical line of a part header.
const guardBuffer = 16 << 10

const (
	gPreamble = iota
	gHeader
	gBody
	gEpilogue
)

func newGuard(r io.Reader, boundary string, o Options) *guard {
	return &guard{br: bufio.NewReaderSize(r, guardBuffer), o: o, dash: []byte("--" + boundary)}
}

// boundaryLine reports whether line is a delimiter (1) or the close
// delimiter (2), matching go-message's textproto rules: the boundary,
// optional "--", then only blanks before the line end.
func (g *guard) boundaryLine(line []byte) int {
	if !bytes.HasPrefix(line, g.dash) {
		return 0
	}
	rest := line[len(g.dash):]
	kind := 1
	if bytes.HasPrefix(rest, []byte("--")) {
		kind, rest = 2, rest[2:]
	}
	if len(bytes.Trim(rest, " \t\r\n")) != 0 {
		return 0
	}
	return kind
}

func (g *guard) Read(p []byte) (int, error) {
	for len(g.out) == 0 {
		if g.err != nil {
			return 0, g.err
		}
		g.step()
	}
	n := copy(p, g.out)
	g.out = g.out[n:]
	return n, nil
}

// step reads one line (or one buffer's worth of a long line) and decides
// what of it to pass on.
func (g *guard) step() {
	line, err := g.br.ReadSlice('\n')
	full := errors.Is(err, bufio.ErrBufferFull)
	if err != nil && !full {
		if err == io.EOF {
			g.err = io.EOF
		} else {
			g.err = err
		}
	}
	atStart := !g.midLine
	g.midLine = full
	if len(line) == 0 {
		return
	}
	if atStart && !full {
		switch g.boundaryLine(line) {
		case 1:
			if g.state == gEpilogue {
				return
			}
			g.state = gHeader
			g.hdrBytes, g.hdrCount = 0, 0
			g.out = append(g.out[:0], line...)
			return
		case 2:
			if g.state == gEpilogue {
				return
			}
			g.state = gEpilogue
			g.out = append(g.out[:0], line...)
			return
		}
	}
	switch g.state {
	case gPreamble, gEpilogue:
		return
	case gBody:
		g.out = append(g.out[:0], line...)
		return
	}
	// Part header.
	g.hdrBytes += len(line)
	if full || g.hdrBytes > g.o.MaxHeaderBytes {
		g.err = errLimit("a part header is larger than %d bytes or has a line over %d bytes", g.o.MaxHeaderBytes, guardBuffer)
		return
	}
	if n := bytes.Count(line, []byte{0}); n > 0 {
		g.nul += n
		line = bytes.ReplaceAll(line, []byte{0}, nil)
	}
	body := trimEOL(line)
	switch {
	case len(body) == 0:
		g.state = gBody
		g.out = append(g.out[:0], line...)
	case body[0] == ' ' || body[0] == '\t':
		if g.hdrCount == 0 {
			// QUIRK: a continuation before any field; drop it.
			g.repaired++
			return
		}
		g.out = append(g.out[:0], line...)
	case isFieldLine(body):
		g.hdrCount++
		if g.hdrCount > g.o.MaxHeaders {
			g.err = errLimit("a part header has more than %d fields", g.o.MaxHeaders)
			return
		}
		g.out = append(g.out[:0], line...)
	default:
		g.repaired++
		g.state = gBody
		g.out = append(append(g.out[:0], '\r', '\n'), line...)
	}
	if g.err == io.EOF && g.state == gHeader {
		// The part header runs to the end: close it so the part parses.
		g.out = append(g.out, '\r', '\n')
	}
}
