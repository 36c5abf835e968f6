package mail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"strings"
)

// limitError is a limit the message went over. The handler withholds the
// message for it (fail closed) instead of delivering a part of it.
type limitError struct {
	depth bool // the MIME nesting limit, as opposed to a size or count
	what  string
}

func (e *limitError) Error() string { return "mail: " + e.what }

func errLimit(format string, args ...any) error {
	return &limitError{what: fmt.Sprintf(format, args...)}
}

// field is one header field: its canonical name and its raw value,
// unfolded (RFC 5322 §2.2.3), NULs removed, bytes as they came.
type field struct {
	Name  string
	Value []byte
}

// header is a header block in order.
type header []field

// get returns the first value of name as a string, trimmed.
func (h header) get(name string) string {
	for _, f := range h {
		if f.Name == name {
			return strings.TrimSpace(string(f.Value))
		}
	}
	return ""
}

// headerStats counts what the lenient reader repaired.
type headerStats struct {
	mbox      bool // an mbox "From " line was skipped
	malformed int  // a non-field line ended the header
	nul       int  // NUL bytes removed
	crOnly    bool // lines ended in CR alone (crLines)
}

// errNotMessage withholds a top-level item in which no header field
// could be read.
var errNotMessage = errors.New("mail: not an Internet message: no header field could be read")

// validFieldName reports whether b is an RFC 5322 §3.6.8 field name
// (printable US-ASCII except colon), allowing trailing blanks before
// the colon (QUIRK: seen in the wild, accepted by every reader).
func validFieldName(b []byte) bool {
	b = bytes.TrimRight(b, " \t")
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}

// isFieldLine reports whether line (without its line end) starts a field.
func isFieldLine(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	return i > 0 && validFieldName(line[:i])
}

// readLine reads one line with its line end, at most max bytes.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == nil || err == io.EOF {
		if len(line) > max {
			return nil, errLimit("a header line is longer than %d bytes", max)
		}
		return line, err
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	buf := append([]byte(nil), line...)
	for {
		if len(buf) > max {
			return nil, errLimit("a header line is longer than %d bytes", max)
		}
		line, err = br.ReadSlice('\n')
		buf = append(buf, line...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			if len(buf) > max {
				return nil, errLimit("a header line is longer than %d bytes", max)
			}
			return buf, err
		}
	}
}

// trimEOL removes a trailing LF or CRLF.
func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// readHeader reads a header block leniently and within limits. It returns
// the fields and, when a line that is not a field ended the header, that
// line: it belongs to the body.
//
// QUIRK: an mbox "From " first line is skipped (mbox files and some
// spools keep it). QUIRK: a line that is neither a field nor a
// continuation ends the header and starts the body, as Postfix's cleanup
// does, instead of failing the message as go-message does.
func readHeader(br *bufio.Reader, o Options, top bool) (header, []byte, headerStats, error) {
	var (
		h     header
		st    headerStats
		total int
		cur   []byte // the field being read, unfolded
	)
	flush := func() {
		if cur == nil {
			return
		}
		i := bytes.IndexByte(cur, ':')
		name := textproto.CanonicalMIMEHeaderKey(string(bytes.TrimRight(cur[:i], " \t")))
		h = append(h, field{Name: name, Value: bytes.TrimSpace(cur[i+1:])})
		cur = nil
	}
	first := true
	for {
		line, err := readLine(br, o.MaxHeaderLineBytes)
		if err != nil && err != io.EOF {
			return h, nil, st, err
		}
		total += len(line)
		if total > o.MaxHeaderBytes {
			return h, nil, st, errLimit("the header is larger than %d bytes", o.MaxHeaderBytes)
		}
		if n := bytes.Count(line, []byte{0}); n > 0 {
			st.nul += n
			line = bytes.ReplaceAll(line, []byte{0}, nil)
		}
		body := trimEOL(line)
		switch {
		case first && top && bytes.HasPrefix(body, []byte("From ")) && !isFieldLine(body):
			st.mbox = true
		case len(body) == 0:
			flush()
			return h, nil, st, nil
		case body[0] == ' ' || body[0] == '\t':
			if cur != nil {
				cur = append(cur, body...)
			} else {
				// QUIRK: a continuation with nothing to continue.
				st.malformed++
			}
		case isFieldLine(body):
			flush()
			if len(h) >= o.MaxHeaders {
				return h, nil, st, errLimit("more than %d header fields", o.MaxHeaders)
			}
			cur = append([]byte(nil), body...)
		default:
			flush()
			st.malformed++
			return h, append([]byte(nil), line...), st, nil
		}
		first = false
		if err == io.EOF {
			flush()
			return h, nil, st, nil
		}
	}
}
