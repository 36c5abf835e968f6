package render

import (
	"encoding/binary"
	"io"
	"math/bits"
)

// A CCITT Group 4 encoder: ITU-T T.6 (11/88) two-dimensional coding, as
// read by PDF's CCITTFaxDecode filter with /K -1 (ISO 32000-1 §7.4.6).
//
// It is written here because golang.org/x/image/ccitt only decodes (its
// exported API is a reader); the tests round-trip every encoded image
// through that decoder bit for bit.
//
// Rows are given as their changing elements (T.4 §4.2.1.3.1): the columns
// where the colour differs from the pixel to the left, the first row pixel
// being compared with an imaginary white one. The coding line is coded
// against the previous row (the reference line; an imaginary white line for
// the first row) in pass, vertical or horizontal mode (T.4 §4.2.1.3.2 and
// figure 7, T.6 §2.2). There are no EOLs, no fill bits and no
// uncompressed mode; the data ends with EOFB (T.6 §2.4.1.1) so that
// /EndOfBlock may keep its default of true.
//
// Memory is bounded by the width: two rows of changing elements and a
// small output buffer.
type g4Encoder struct {
	w     io.Writer
	width int32
	ref   []int32 // reference line's changing elements, then width 3 times
	cur   []int32
	acc   uint64 // pending bits, in the low n bits
	n     uint
	buf   []byte
	err   error
}

const g4BufSize = 8 << 10

// Mode codes of T.4 table 4 (T.6 table 1).
var (
	g4Pass  = g4Code{0b0001, 4}
	g4Horiz = g4Code{0b001, 3}
	// g4Vert[d+3] codes a1 - b1 = d.
	g4Vert = [7]g4Code{
		{0b0000010, 7}, // VL3
		{0b000010, 6},  // VL2
		{0b010, 3},     // VL1
		{0b1, 1},       // V0
		{0b011, 3},     // VR1
		{0b000011, 6},  // VR2
		{0b0000011, 7}, // VR3
	}
	g4EOL = g4Code{0b000000000001, 12}
)

func newG4Encoder(w io.Writer, width int) *g4Encoder {
	e := &g4Encoder{w: w, width: int32(width), buf: make([]byte, 0, g4BufSize)}
	wd := int32(width)
	e.ref = append(make([]int32, 0, width+4), wd, wd, wd)
	e.cur = make([]int32, 0, width+4)
	return e
}

func (e *g4Encoder) put(c g4Code) {
	e.acc = e.acc<<c.len | uint64(c.bits)
	e.n += uint(c.len)
	if e.n >= 32 {
		e.n -= 32
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(e.acc>>e.n))
		if len(e.buf) >= g4BufSize-4 {
			e.flush()
		}
	}
}

func (e *g4Encoder) flush() {
	if e.err == nil && len(e.buf) > 0 {
		_, e.err = e.w.Write(e.buf)
	}
	e.buf = e.buf[:0]
}

// run codes a run of n pixels of colour (0 white, 1 black): make-up codes
// as needed, then a terminating code (T.4 §4.1.1.1, §4.1.1.2).
func (e *g4Encoder) run(color int, n int32) {
	for n >= 2560+64 {
		e.put(g4ExtMakeUp[len(g4ExtMakeUp)-1])
		n -= 2560
	}
	switch {
	case n >= 1792:
		e.put(g4ExtMakeUp[n/64-28])
	case n >= 64:
		e.put(g4MakeUp[color][n/64])
	}
	n %= 64
	e.put(g4Term[color][n])
}

// row codes one row given its changing elements, strictly increasing and
// each in [0, width).
func (e *g4Encoder) row(changes []int32) {
	w := e.width
	c := append(append(e.cur[:0], changes...), w, w, w)
	r := e.ref
	a0, color := int32(-1), 0
	ia, ib := 0, 0
	for {
		a1 := c[ia]
		for r[ib] <= a0 {
			ib++
		}
		// b1 is the first changing element of the reference line right of
		// a0 whose colour is opposite to a0's: even indices turn black.
		j := ib + (ib^color)&1
		b1, b2 := r[j], r[j+1]
		switch d := a1 - b1; {
		case b2 < a1:
			e.put(g4Pass)
			a0 = b2
		case d >= -3 && d <= 3:
			e.put(g4Vert[d+3])
			a0 = a1
			color ^= 1
			ia++
		default:
			a2 := c[ia+1]
			e.put(g4Horiz)
			e.run(color, a1-max(a0, 0))
			e.run(color^1, a2-a1)
			a0 = a2
			ia += 2
		}
		if a0 >= w {
			break
		}
	}
	e.ref, e.cur = c, r
}

// close writes EOFB, pads the last byte with zeros and flushes.
func (e *g4Encoder) close() error {
	e.put(g4EOL)
	e.put(g4EOL)
	for e.n >= 8 {
		e.n -= 8
		e.buf = append(e.buf, byte(e.acc>>e.n))
	}
	if e.n > 0 {
		e.buf = append(e.buf, byte(e.acc<<(8-e.n)))
		e.n = 0
	}
	e.flush()
	return e.err
}

// packedChanges appends to dst the changing elements of a row of width
// pixels packed 1 bit a pixel, most significant bit first, 1 meaning black.
func packedChanges(dst []int32, row []byte, width int) []int32 {
	var color byte // of the pixel left of the current one
	x := 0
	for x < width {
		// Skip whole bytes of the current colour, 8 at a time.
		fill := -color // 0x00 or 0xff
		for x&7 == 0 && x+64 <= width && binary.BigEndian.Uint64(row[x>>3:]) == uint64(int64(int8(fill))) {
			x += 64
		}
		for x&7 == 0 && x+8 <= width && row[x>>3] == fill {
			x += 8
		}
		if x >= width {
			break
		}
		// Within the byte: bits differing from the current colour.
		b := row[x>>3] ^ fill
		b <<= x & 7
		if b == 0 {
			x = (x | 7) + 1
			continue
		}
		x += bits.LeadingZeros8(b)
		if x >= width {
			break
		}
		dst = append(dst, int32(x))
		color ^= 1
	}
	return dst
}

// g4Threshold is the level (of 15, the 4-bit gray of the colour codes) below
// which a pixel is black: gray below about 178 of 255. Chosen by looking at
// 9 pt Mincho at 150 dpi: at 8 (half way) the thin horizontal strokes,
// lighter than half gray, vanish (三 reads 二, 十 reads |, 本 reads 木); at
// 13 the counters of dense kanji such as 書 fill in; 11 keeps both.
const g4Threshold = 11

// g4Codes thresholds gray colour codes (r<<8|g<<4|b with r = g = b, 4 bits
// each) and writes them CCITT G4 coded. With scale 2 the page is first
// enlarged twice in each direction by bilinear interpolation of the gray
// levels, so that glyph edges fall between the rendered pixels where the
// anti-aliasing put them rather than on the 150 dpi grid.
func g4Codes(w io.Writer, codes []uint16, width, h, scale int) error {
	e := newG4Encoder(w, width*scale)
	ch := make([]int32, 0, width*scale+1)
	if scale == 1 {
		for y := range h {
			ch = ch[:0]
			black := false
			for x, c := range codes[y*width : (y+1)*width] {
				if b := c&15 < g4Threshold; b != black {
					ch = append(ch, int32(x))
					black = b
				}
			}
			e.row(ch)
			if e.err != nil {
				return e.err
			}
		}
		return e.close()
	}
	// scale 2: output pixel 2x (2x+1) lies a quarter pixel left (right) of
	// source pixel x, so it weighs 3/4 on x and 1/4 on its neighbour, in
	// each direction: 16 × level in 0..240.
	lv := func(y int) []uint16 { return codes[min(max(y, 0), h-1)*width:][:width] }
	white := func(r []uint16) bool {
		for _, c := range r {
			if c != 0xfff {
				return false
			}
		}
		return true
	}
	v := make([]int32, width+2)
	const thr = 16*g4Threshold - 8
	for y := range h {
		cur := lv(y)
		curWhite := white(cur)
		for dy := range 2 {
			nb := lv(y - 1 + 2*dy)
			ch = ch[:0]
			if !curWhite || !white(nb) {
				for x, c := range cur {
					v[x+1] = 3*int32(c&15) + int32(nb[x]&15)
				}
				v[0], v[width+1] = v[1], v[width]
				black := false
				for x := 1; x <= width; x++ {
					c3 := 3 * v[x]
					if c3 == 3*60 && v[x-1] == 60 && v[x+1] == 60 {
						if black {
							ch = append(ch, int32(2*(x-1)))
							black = false
						}
						continue
					}
					if b := c3+v[x-1] < thr; b != black {
						ch = append(ch, int32(2*(x-1)))
						black = b
					}
					if b := c3+v[x+1] < thr; b != black {
						ch = append(ch, int32(2*(x-1)+1))
						black = b
					}
				}
			}
			e.row(ch)
		}
		if e.err != nil {
			return e.err
		}
	}
	return e.close()
}
