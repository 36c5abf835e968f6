package mail

import (
	"errors"
	"io"
	"strings"
)

// transferDecode undoes a Content-Transfer-Encoding (RFC 2045 §6). An
// unknown encoding leaves the bytes as they are and says so; the caller
// reports it, and the content is judged by what it turns out to be.
// Lines of text that base64 data is followed by are counted in trailing.
func transferDecode(cte string, r io.Reader, trailing *int) (io.Reader, bool) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "", "7bit", "8bit", "binary", "7-bit", "8-bit":
		return r, true
	case "quoted-printable":
		return newQPReader(r), true
	case "base64":
		return newB64Reader(r, trailing), true
	}
	return r, false
}

// isLimit reports whether err is (or wraps) a limit error.
func isLimit(err error) bool {
	var le *limitError
	return errors.As(err, &le)
}

// tolerantEOF turns an unexpected end of a part (no closing boundary,
// QUIRK: truncated messages) into a normal end, and notes it.
type tolerantEOF struct {
	r         io.Reader
	truncated *bool
}

func (t tolerantEOF) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		*t.truncated = true
		err = io.EOF
	}
	return n, err
}

// copySmall is io.Copy with a 4 KiB buffer and no WriterTo/ReaderFrom
// shortcut, which would allocate 32 KiB per call: mail parts are many
// and mostly small.
func copySmall(dst io.Writer, src io.Reader) (int64, error) {
	var buf [4096]byte
	return io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, buf[:])
}
