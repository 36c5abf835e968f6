package mail

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// b64Reader decodes base64 (RFC 2045 §6.8) leniently, so that a broken
// encoder never shortens a part: line breaks, blanks and other
// characters outside the alphabet are skipped, as §6.8 says, a final
// partial group is decoded as far as it goes, and padding ends only the
// data of its line.
//
// QUIRK: some encoders write a body as several base64 runs one after the
// other, each padded: a line after the padding that is base64 and
// nothing else continues the data. A line that is not (a footer a
// gateway appended as text) ends it; such lines are counted in trailing
// for the report rather than decoded into noise.
type b64Reader struct {
	br       *bufio.Reader
	grp      [4]byte
	ng       int
	out      []byte
	padded   bool // padding was seen: only a line of base64 alone continues
	done     bool
	err      error
	trailing *int
}

func newB64Reader(r io.Reader, trailing *int) *b64Reader {
	return &b64Reader{br: bufio.NewReaderSize(r, 4096), trailing: trailing}
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
			if b.err != nil {
				return 0, b.err
			}
			return 0, io.EOF
		}
		line, err := b.br.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			b.done = true
			if err != io.EOF {
				b.err = err
			}
		}
		b.decodeLine(line)
		if b.done {
			b.flush()
		}
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	return n, nil
}

// decodeLine decodes one line, or one buffer's worth of a long line.
func (b *b64Reader) decodeLine(line []byte) {
	if b.padded {
		if blank(line) {
			return
		}
		if !base64Only(line) {
			if b.trailing != nil {
				*b.trailing++
			}
			b.done = true
			return
		}
		b.padded = false
	}
	for _, c := range line {
		if c == '=' {
			b.flush()
			b.padded = true
			return
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
}

// flush decodes a partial group as far as it goes.
func (b *b64Reader) flush() {
	switch b.ng {
	case 2:
		b.out = append(b.out, b.grp[0]<<2|b.grp[1]>>4)
	case 3:
		b.out = append(b.out, b.grp[0]<<2|b.grp[1]>>4, b.grp[1]<<4|b.grp[2]>>2)
	}
	b.ng = 0
}

func blank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// base64Only reports whether line is base64 alphabet and padding alone,
// with blanks at its end.
func base64Only(line []byte) bool {
	for _, c := range bytes.TrimRight(trimEOL(line), " \t") {
		if b64Index[c] < 0 && c != '=' {
			return false
		}
	}
	return true
}
