package mail

import (
	"errors"
	"io"
	"strings"
)

// transferDecode undoes a Content-Transfer-Encoding (RFC 2045 §6). An
// unknown encoding leaves the bytes as they are and says so; the caller
// reports it, and the content is judged by what it turns out to be.
func transferDecode(cte string, r io.Reader) (io.Reader, bool) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "", "7bit", "8bit", "binary", "7-bit", "8-bit":
		return r, true
	case "quoted-printable":
		return newQPReader(r), true
	case "base64":
		return &b64Reader{r: r}, true
	}
	return r, false
}

// b64Reader decodes base64 leniently (RFC 2045 §6.8 says to ignore
// characters outside the alphabet): line breaks, blanks and garbage are
// skipped, decoding stops at padding, and a final partial group is
// decoded as far as it goes.
type b64Reader struct {
	r    io.Reader
	buf  [4096]byte
	grp  [4]byte
	ng   int
	out  []byte
	done bool
	err  error
}

var b64Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(a); i++ {
		t[a[i]] = int8(i)
	}
	return t
}()

func (b *b64Reader) Read(p []byte) (int, error) {
	for len(b.out) == 0 {
		if b.done {
			return 0, b.finalErr()
		}
		n, err := b.r.Read(b.buf[:])
		for _, c := range b.buf[:n] {
			if c == '=' {
				b.done = true
				break
			}
			v := b64Index[c]
			if v < 0 {
				continue
			}
			b.grp[b.ng] = byte(v)
			b.ng++
			if b.ng == 4 {
				b.out = append(b.out, b.grp[0]<<2|b.grp[1]>>4, b.grp[1]<<4|b.grp[2]>>2, b.grp[2]<<6|b.grp[3])
				b.ng = 0
			}
		}
		if err != nil {
			b.done = true
			if err != io.EOF {
				b.err = err
			}
		}
		if b.done {
			switch b.ng {
			case 2:
				b.out = append(b.out, b.grp[0]<<2|b.grp[1]>>4)
			case 3:
				b.out = append(b.out, b.grp[0]<<2|b.grp[1]>>4, b.grp[1]<<4|b.grp[2]>>2)
			}
			b.ng = 0
		}
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	if len(b.out) == 0 {
		b.out = b.out[:0]
	}
	return n, nil
}

func (b *b64Reader) finalErr() error {
	if b.err != nil {
		return b.err
	}
	return io.EOF
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
