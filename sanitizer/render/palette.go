package render

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// pagePalette maps colour codes (r<<8|g<<4|b, 4 bits each) to palette
// indices.
type pagePalette struct {
	index  [4096]uint8
	colors []uint16
	bits   int // 4 (at most 16 colours) or 8
}

// Palette choice: a page whose colour codes number at most 16 gets an exact
// 4-bit palette. Otherwise (typically 16 grays of anti-aliased black text
// plus a few colours and their blends) a 4-bit palette of the most frequent
// distinct colours is tried, and kept if almost no pixel (one in
// paletteMaxFar) lands far (paletteFar levels) from its colour; else an exact
// 8-bit palette if there are at most 256 colours.
const (
	paletteFar    = 3   // 4-bit levels (about 51 of 255) on any component
	paletteMaxFar = 500 // at most one pixel in paletteMaxFar may be far
)

// palette chooses a palette for a page in colour with the given colour
// histogram and pixel count, or returns ok false.
func palette(hist *[4096]uint32, pixels int) (p *pagePalette, ok bool) {
	var used []uint16
	for c, n := range hist {
		if n > 0 {
			used = append(used, uint16(c))
		}
	}
	p = &pagePalette{}
	if len(used) <= 16 {
		p.bits, p.colors = 4, used
		for i, c := range used {
			p.index[c] = uint8(i)
		}
		return p, true
	}

	// Most frequent first; pick colours at least two levels apart.
	slices.SortFunc(used, func(a, b uint16) int { return cmp.Compare(hist[b], hist[a]) })
	picked := make([]uint16, 0, 16)
	for _, c := range used {
		if len(picked) == 16 {
			break
		}
		if d, _ := nearest(c, picked); len(picked) == 0 || d >= 2 {
			picked = append(picked, c)
		}
	}
	var far uint64
	for _, c := range used {
		d, i := nearest(c, picked)
		p.index[c] = uint8(i)
		if d >= paletteFar {
			far += uint64(hist[c])
		}
	}
	if far*paletteMaxFar <= uint64(pixels) {
		p.bits, p.colors = 4, picked
		return p, true
	}
	if len(used) > 256 {
		return nil, false
	}
	p.bits, p.colors = 8, used
	for i, c := range used {
		p.index[c] = uint8(i)
	}
	return p, true
}

// nearest returns the distance (largest component difference, in 4-bit
// levels) from c to the closest of cs, and its index.
func nearest(c uint16, cs []uint16) (int, int) {
	best, bi := 16, 0
	for i, o := range cs {
		d := max(absDiff(uint8(c>>8), uint8(o>>8)), absDiff(uint8(c>>4&15), uint8(o>>4&15)), absDiff(uint8(c&15), uint8(o&15)))
		if int(d) < best {
			best, bi = int(d), i
		}
	}
	return best, bi
}

func absDiff(a, b uint8) uint8 {
	// Without branches: in a photograph, which side is larger is
	// taken at random.
	d := int(a) - int(b)
	s := d >> 63
	return uint8(d ^ s - s)
}

// colorSpace is the Indexed colour space (ISO 32000-1 §8.6.6.3) with the
// palette as a hex string.
func (p *pagePalette) colorSpace() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[/Indexed /DeviceRGB %d <", len(p.colors)-1)
	for _, c := range p.colors {
		fmt.Fprintf(&b, "%02X%02X%02X", 17*(c>>8), 17*(c>>4&15), 17*(c&15))
	}
	b.WriteString(">]")
	return b.String()
}

// fillLevels is a 2-bit palette of black, white and the two commonest
// grays between (the fills, each far more frequent than any level of
// anti-aliased edges), for a page without colour; every gray is stored as
// the nearest of the four.
func fillLevels(hist *[4096]uint32) *pagePalette {
	var fills [2]uint16 // levels, commonest first
	for l := uint16(1); l < 15; l++ {
		switch n := hist[l*0x111]; {
		case fills[0] == 0 || n > hist[fills[0]*0x111]:
			fills[0], fills[1] = l, fills[0]
		case fills[1] == 0 || n > hist[fills[1]*0x111]:
			fills[1] = l
		}
	}
	p := &pagePalette{bits: 2, colors: []uint16{0, fills[0] * 0x111, fills[1] * 0x111, 0xfff}}
	for l := uint16(0); l < 16; l++ {
		_, i := nearest(l*0x111, p.colors)
		p.index[l*0x111] = uint8(i)
	}
	return p
}
