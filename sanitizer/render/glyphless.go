package render

import (
	"encoding/binary"
	"sort"
)

// glyphlessFont returns a TrueType font program (Apple TrueType Reference
// Manual; ISO/IEC 14496-22) with one glyph, .notdef, that has no outline
// and advances one em of 1000 units. It is the FontFile2 of the text
// layer's CIDFont, as in Tesseract's GlyphLessFont: every CID maps to a
// glyph that draws nothing, so the font only carries positions for text
// that is searched and copied, never shown. Only the tables a TrueType
// rasterizer requires are written (head, hhea, maxp, hmtx, loca, glyf,
// post) and an empty cmap, which a CIDFontType2 does not use (ISO
// 32000-1 §9.7.4.2) but font loaders look for.
func glyphlessFont() []byte {
	be := binary.BigEndian
	head := make([]byte, 54)
	be.PutUint32(head[0:], 0x00010000)  // version
	be.PutUint32(head[4:], 0x00010000)  // fontRevision
	be.PutUint32(head[12:], 0x5F0F3CF5) // magicNumber
	be.PutUint16(head[16:], 0x000B)     // flags: baseline at y=0, integer ppem
	be.PutUint16(head[18:], 1000)       // unitsPerEm
	// created, modified (8 bytes each), xMin..yMax all 0: no outline.
	be.PutUint16(head[44:], 0) // macStyle
	be.PutUint16(head[46:], 3) // lowestRecPPEM
	be.PutUint16(head[48:], 2) // fontDirectionHint
	be.PutUint16(head[50:], 0) // indexToLocFormat: short
	be.PutUint16(head[52:], 0) // glyphDataFormat

	hhea := make([]byte, 36)
	be.PutUint32(hhea[0:], 0x00010000)
	be.PutUint16(hhea[4:], 880)                 // ascender
	be.PutUint16(hhea[6:], uint16(0x10000-120)) // descender -120
	be.PutUint16(hhea[10:], 1000)               // advanceWidthMax
	be.PutUint16(hhea[34:], 1)                  // numberOfHMetrics
	be.PutUint16(hhea[18:], 1)                  // caretSlopeRise
	maxp := make([]byte, 32)
	be.PutUint32(maxp[0:], 0x00010000)
	be.PutUint16(maxp[4:], 1)        // numGlyphs
	be.PutUint16(maxp[14:], 1)       // maxZones
	hmtx := []byte{0x03, 0xE8, 0, 0} // advance 1000, lsb 0
	loca := []byte{0, 0, 0, 0}       // short offsets: glyph 0 is empty
	glyf := []byte{0, 0, 0, 0}       // padding only; no glyph has data
	// cmap: one Windows Unicode BMP subtable (format 4) with only the
	// closing segment, mapping no character: CIDs select glyphs here.
	cmap := []byte{0, 0, 0, 1, 0, 3, 0, 1, 0, 0, 0, 12,
		0, 4, 0, 24, 0, 0, 0, 2, 0, 2, 0, 0, 0, 0,
		0xFF, 0xFF, 0, 0, 0xFF, 0xFF, 0, 1, 0, 0}
	post := make([]byte, 32)
	be.PutUint32(post[0:], 0x00030000) // version 3: no glyph names
	tables := map[string][]byte{"head": head, "hhea": hhea, "maxp": maxp, "hmtx": hmtx,
		"loca": loca, "glyf": glyf, "post": post, "cmap": cmap}

	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	n := len(tags)
	out := make([]byte, 12+16*n)
	be.PutUint32(out[0:], 0x00010000)
	be.PutUint16(out[4:], uint16(n))
	sr := 1
	es := 0
	for sr*2 <= n {
		sr *= 2
		es++
	}
	be.PutUint16(out[6:], uint16(sr*16))
	be.PutUint16(out[8:], uint16(es))
	be.PutUint16(out[10:], uint16(n*16-sr*16))
	var headOff int
	for i, t := range tags {
		data := tables[t]
		off := len(out)
		if t == "head" {
			headOff = off
		}
		rec := out[12+16*i:]
		copy(rec, t)
		be.PutUint32(rec[4:], ttfChecksum(data))
		be.PutUint32(rec[8:], uint32(off))
		be.PutUint32(rec[12:], uint32(len(data)))
		out = append(out, data...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	be.PutUint32(out[headOff+8:], 0xB1B0AFBA-ttfChecksum(out)) // checkSumAdjustment
	return out
}

// ttfChecksum is the table checksum: the sum of big-endian uint32s,
// the last one padded with zeros.
func ttfChecksum(b []byte) uint32 {
	var s uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		s += binary.BigEndian.Uint32(w[:])
	}
	return s
}
