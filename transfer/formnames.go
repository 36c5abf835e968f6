package transfer

import (
	"bufio"
	"bytes"
	"io"
	"strings"
)

// QUIRK: net/textproto refuses a part header that holds a control
// character, so mime/multipart fails on a file name such as "a\x01b.txt"
// (possible on Unix file systems; browsers escape only CR, LF and '"'
// (HTML "multipart/form-data encoding algorithm")). headerControls sits
// between the request body and the multipart reader and, in part
// headers only, writes each control character other than TAB and NUL as
// its Unicode control picture (U+2400 + c, DEL as U+2421); declaredName
// turns them back, and the name is then cleaned like any other
// (detect.CleanName) with the control character reported. A NUL, which
// no file system allows in a name, is left for the multipart reader to
// refuse. Part bodies pass unchanged.
type headerControls struct {
	br        *bufio.Reader
	delim     []byte // "--" + boundary
	inHeader  bool
	lineStart bool
	pending   []byte
	err       error
}

func newHeaderControls(r io.Reader, boundary string) *headerControls {
	return &headerControls{br: bufio.NewReaderSize(r, 16<<10), delim: []byte("--" + boundary), lineStart: true}
}

func (h *headerControls) Read(p []byte) (int, error) {
	for len(h.pending) == 0 {
		if h.err != nil {
			return 0, h.err
		}
		line, err := h.br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			h.err = err
		}
		h.pending = h.rewrite(line, err == nil)
	}
	n := copy(p, h.pending)
	h.pending = h.pending[n:]
	return n, nil
}

// rewrite handles one line, or a piece of one when complete is false,
// and returns what to pass on (a copy: line is the reader's buffer).
func (h *headerControls) rewrite(line []byte, complete bool) []byte {
	start := h.lineStart
	h.lineStart = complete
	switch {
	case start && !h.inHeader && bytes.HasPrefix(line, h.delim):
		h.inHeader = !bytes.HasPrefix(line[len(h.delim):], []byte("--"))
	case h.inHeader && start && (string(line) == "\r\n" || string(line) == "\n"):
		h.inHeader = false
	case h.inHeader:
		var b bytes.Buffer
		for i, c := range line {
			switch {
			case c == 0x7f:
				b.WriteRune(0x2421)
			case c < 0x20 && c != '\t' && c != 0 && !(complete && i >= len(line)-2 && (c == '\r' || c == '\n')):
				b.WriteRune(0x2400 + rune(c))
			default:
				b.WriteByte(c)
			}
		}
		return b.Bytes()
	}
	return bytes.Clone(line)
}

// declaredName is a part's file name with the control pictures that
// headerControls wrote turned back into control characters.
func declaredName(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0x2401 && r <= 0x241f:
			return r - 0x2400
		case r == 0x2421:
			return 0x7f
		}
		return r
	}, name)
}
