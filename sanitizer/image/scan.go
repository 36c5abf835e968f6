package image

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// scanInfo is what the container walk found. The walk only reports; it never
// decides what is output (the output is rebuilt from pixels regardless).
type scanInfo struct {
	removed     Removed
	frames      int // GIF image descriptors, TIFF IFDs
	orientation int // Exif orientation, 1–8, 0 if absent
}

var errTruncated = errors.New("image: truncated")

func scan(format string, b []byte) (scanInfo, error) {
	var s scanInfo
	var err error
	switch format {
	case FormatPNG:
		err = s.png(b)
	case FormatJPEG:
		err = s.jpeg(b)
	case FormatGIF:
		err = s.gif(b)
	case FormatWebP:
		err = s.webp(b)
	case FormatTIFF:
		err = s.tiff(b)
	case FormatBMP:
		s.bmp(b)
	}
	return s, err
}

// png walks the chunks (PNG §5.3): length, type, data, CRC. Data after IEND
// is trailing. A missing IEND is left for the decoder to judge.
func (s *scanInfo) png(b []byte) error {
	p := 8
	for p+12 <= len(b) {
		n := int64(binary.BigEndian.Uint32(b[p:]))
		typ := string(b[p+4 : p+8])
		end := int64(p) + 12 + n
		if n > 1<<31-1 || end > int64(len(b)) {
			return fmt.Errorf("png chunk %q: %w", typ, errTruncated)
		}
		data := b[p+8 : p+8+int(n)]
		switch typ {
		case "IEND":
			s.removed.TrailingBytes = int64(len(b)) - end
			return nil
		case "tEXt", "zTXt":
			s.removed.TextChunks++
		case "iTXt":
			if bytes.HasPrefix(data, []byte("XML:com.adobe.xmp\x00")) {
				s.removed.XMP = true
			} else {
				s.removed.TextChunks++
			}
		case "eXIf": // PNG 3rd edition §11.3.6.1
			s.removed.EXIF = true
			s.exifTIFF(data)
		case "iCCP":
			s.removed.ICC = true
		case "acTL": // APNG animation control: number of frames
			if len(data) >= 4 {
				s.frames = int(min(binary.BigEndian.Uint32(data), 1<<20))
			}
		case "fcTL", "fdAT": // APNG frames; dropped with the animation
		case "IHDR", "PLTE", "IDAT", "tRNS", "gAMA", "cHRM", "sRGB", "sBIT", "bKGD", "pHYs":
			// pixel-related; their effect is in the decoded pixels
		default:
			s.removed.OtherMetadata++
		}
		p = int(end)
	}
	return nil
}

// jpeg walks the marker segments (ITU-T T.81 §B.1.1). Entropy-coded data
// after SOS is skipped up to the next marker that is not a stuffed 0xFF00 or
// a restart marker. Bytes after EOI are trailing.
func (s *scanInfo) jpeg(b []byte) error {
	p := 2 // after SOI
	for {
		// QUIRK: some writers leave stray bytes between segments; libjpeg
		// and Go's decoder skip them with a warning, so does this walk
		// (they are gone from the output anyway).
		if p < len(b) && b[p] != 0xFF {
			i := bytes.IndexByte(b[p:], 0xFF)
			if i < 0 {
				return fmt.Errorf("jpeg marker at %d: %w", p, errTruncated)
			}
			s.removed.OtherMetadata++
			p += i
		}
		// Markers may be preceded by fill bytes 0xFF (§B.1.1.2).
		for p < len(b) && b[p] == 0xFF && p+1 < len(b) && b[p+1] == 0xFF {
			p++
		}
		if p+2 > len(b) || b[p] != 0xFF {
			return fmt.Errorf("jpeg marker at %d: %w", p, errTruncated)
		}
		m := b[p+1]
		p += 2
		switch {
		case m == 0xD9: // EOI
			s.removed.TrailingBytes = int64(len(b) - p)
			return nil
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7): // TEM, RSTn: no length
			continue
		}
		if p+2 > len(b) {
			return fmt.Errorf("jpeg segment: %w", errTruncated)
		}
		n := int(binary.BigEndian.Uint16(b[p:]))
		if n < 2 || p+n > len(b) {
			return fmt.Errorf("jpeg segment %#x: %w", m, errTruncated)
		}
		seg := b[p+2 : p+n]
		p += n
		switch {
		case m == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00")):
			s.removed.EXIF = true
			if len(seg) >= 6 {
				s.exifTIFF(seg[6:])
			}
		case m == 0xE1 && (bytes.HasPrefix(seg, []byte("http://ns.adobe.com/xap/1.0/\x00")) ||
			bytes.HasPrefix(seg, []byte("http://ns.adobe.com/xmp/extension/\x00"))):
			s.removed.XMP = true
		case m == 0xE2 && bytes.HasPrefix(seg, []byte("ICC_PROFILE\x00")):
			s.removed.ICC = true
		case m == 0xED: // APP13 Photoshop IRB, carries IPTC
			s.removed.IPTC = true
		case m == 0xFE:
			s.removed.Comments++
		case m == 0xE0 && (bytes.HasPrefix(seg, []byte("JFIF\x00")) || bytes.HasPrefix(seg, []byte("JFXX\x00"))):
			// JFIF framing (may carry a thumbnail; it goes with the rebuild)
		case m == 0xEE && bytes.HasPrefix(seg, []byte("Adobe")):
			// colour transform flag; its effect is in the decoded pixels
		case m >= 0xE0 && m <= 0xEF:
			s.removed.OtherMetadata++
		case m == 0xDA: // SOS: skip entropy-coded data
			for {
				i := bytes.IndexByte(b[p:], 0xFF)
				if i < 0 || p+i+1 >= len(b) {
					return fmt.Errorf("jpeg scan data: %w", errTruncated)
				}
				p += i
				next := b[p+1]
				if next == 0x00 || (next >= 0xD0 && next <= 0xD7) || next == 0xFF {
					p++
					continue
				}
				break
			}
		}
	}
}

// gif walks the blocks (GIF89a §17–§27): header, logical screen descriptor,
// global colour table, then extensions and images up to the trailer 0x3B.
func (s *scanInfo) gif(b []byte) error {
	if len(b) < 13 {
		return fmt.Errorf("gif header: %w", errTruncated)
	}
	p := 13
	if b[10]&0x80 != 0 {
		p += 3 << (b[10]&7 + 1)
	}
	skipSub := func() error { // data sub-blocks, ended by a zero length
		for {
			if p >= len(b) {
				return fmt.Errorf("gif sub-block: %w", errTruncated)
			}
			n := int(b[p])
			p++
			if n == 0 {
				return nil
			}
			p += n
		}
	}
	for p < len(b) {
		switch b[p] {
		case 0x3B: // trailer
			s.removed.TrailingBytes = int64(len(b) - p - 1)
			return nil
		case 0x21: // extension
			if p+1 >= len(b) {
				return fmt.Errorf("gif extension: %w", errTruncated)
			}
			label := b[p+1]
			p += 2
			switch label {
			case 0xFE:
				s.removed.Comments++
			case 0xFF:
				if p+12 <= len(b) && bytes.Equal(b[p+1:p+12], []byte("XMP DataXMP")) {
					s.removed.XMP = true
				} else if p+12 <= len(b) && bytes.Equal(b[p+1:p+12], []byte("NETSCAPE2.0")) {
					// animation loop count; the animation goes anyway
				} else {
					s.removed.OtherMetadata++
				}
			case 0x01: // plain text extension
				s.removed.TextChunks++
			}
			if err := skipSub(); err != nil {
				return err
			}
		case 0x2C: // image descriptor
			if p+10 > len(b) {
				return fmt.Errorf("gif image descriptor: %w", errTruncated)
			}
			flags := b[p+9]
			p += 10
			if flags&0x80 != 0 {
				p += 3 << (flags&7 + 1)
			}
			p++ // LZW minimum code size
			if err := skipSub(); err != nil {
				return err
			}
			s.frames++
		default:
			return fmt.Errorf("gif: unknown block %#x at %d", b[p], p)
		}
	}
	return nil // no trailer: the decoder judges the first frame
}

// webp walks the RIFF chunks (RFC 9649 §2.7). Bytes after the RIFF size are
// trailing.
func (s *scanInfo) webp(b []byte) error {
	size := int64(binary.LittleEndian.Uint32(b[4:8])) + 8
	if size > int64(len(b)) {
		return fmt.Errorf("webp RIFF: %w", errTruncated)
	}
	s.removed.TrailingBytes = int64(len(b)) - size
	p := 12
	for p+8 <= int(size) {
		id := string(b[p : p+4])
		n := int(binary.LittleEndian.Uint32(b[p+4:]))
		if n < 0 || p+8+n > int(size) {
			return fmt.Errorf("webp chunk %q: %w", id, errTruncated)
		}
		switch id {
		case "EXIF":
			s.removed.EXIF = true
			data := b[p+8 : p+8+n]
			data = bytes.TrimPrefix(data, []byte("Exif\x00\x00"))
			s.exifTIFF(data)
		case "XMP ":
			s.removed.XMP = true
		case "ICCP":
			s.removed.ICC = true
		case "VP8 ", "VP8L", "VP8X", "ALPH":
		case "ANIM", "ANMF":
			s.frames++
		default:
			s.removed.OtherMetadata++
		}
		p += 8 + n + n&1
	}
	return nil
}

// tiff reports Exif/GPS/XMP/ICC/IPTC tags of the first IFD and counts IFDs.
func (s *scanInfo) tiff(b []byte) error {
	t, ok := newTIFF(b)
	if !ok {
		return fmt.Errorf("tiff header: %w", errTruncated)
	}
	off := t.u32(4)
	seen := map[uint32]bool{}
	for off != 0 && s.frames < 1000 {
		if seen[off] {
			return errors.New("image: tiff IFD loop")
		}
		seen[off] = true
		tags, next, ok := t.ifd(off)
		if !ok {
			return fmt.Errorf("tiff IFD: %w", errTruncated)
		}
		if s.frames == 0 {
			for _, tg := range tags {
				switch tg.tag {
				case 0x8769:
					s.removed.EXIF = true
				case 0x8825:
					s.removed.EXIF, s.removed.GPS = true, true
				case 700:
					s.removed.XMP = true
				case 34675:
					s.removed.ICC = true
				case 33723, 34377:
					s.removed.IPTC = true
				case 270, 271, 272, 305, 306, 315, 33432: // description, make, model, software, date, artist, copyright
					s.removed.OtherMetadata++
				}
			}
		}
		s.frames++
		off = next
	}
	return nil
}

// bmp reports bytes beyond the file size in the header. QUIRK: some writers
// put 0 or a wrong value in bfSize; only a plausible size is believed.
func (s *scanInfo) bmp(b []byte) {
	if len(b) < 14 {
		return
	}
	size := int64(binary.LittleEndian.Uint32(b[2:6]))
	if size >= 26 && size < int64(len(b)) {
		s.removed.TrailingBytes = int64(len(b)) - size
	}
}

// exifTIFF reads an Exif TIFF structure (Exif 2.32 §4.5): GPS pointer and
// orientation in IFD0. Errors are ignored: the block is dropped anyway.
func (s *scanInfo) exifTIFF(b []byte) {
	t, ok := newTIFF(b)
	if !ok {
		return
	}
	tags, _, ok := t.ifd(t.u32(4))
	if !ok {
		return
	}
	for _, tg := range tags {
		switch tg.tag {
		case 0x8825:
			s.removed.GPS = true
		case 0x0112:
			if tg.typ == 3 && tg.count == 1 {
				s.orientation = int(t.u16(tg.valueOff))
			}
		}
	}
}

type tiffReader struct {
	b  []byte
	bo binary.ByteOrder
}

type tiffTag struct {
	tag, typ uint16
	count    uint32
	valueOff int // offset of the 4-byte value/offset field
}

func newTIFF(b []byte) (tiffReader, bool) {
	if len(b) < 8 {
		return tiffReader{}, false
	}
	switch string(b[:4]) {
	case "II*\x00":
		return tiffReader{b, binary.LittleEndian}, true
	case "MM\x00*":
		return tiffReader{b, binary.BigEndian}, true
	}
	return tiffReader{}, false
}

func (t tiffReader) u16(off int) uint16 {
	if off < 0 || off+2 > len(t.b) {
		return 0
	}
	return t.bo.Uint16(t.b[off:])
}

func (t tiffReader) u32(off int) uint32 {
	if off < 0 || off+4 > len(t.b) {
		return 0
	}
	return t.bo.Uint32(t.b[off:])
}

func (t tiffReader) ifd(off uint32) ([]tiffTag, uint32, bool) {
	if off < 8 || int64(off)+2 > int64(len(t.b)) {
		return nil, 0, false
	}
	p := int(off)
	n := int(t.u16(p))
	if p+2+12*n+4 > len(t.b) {
		return nil, 0, false
	}
	tags := make([]tiffTag, 0, n)
	for i := 0; i < n; i++ {
		e := p + 2 + 12*i
		tags = append(tags, tiffTag{tag: t.u16(e), typ: t.u16(e + 2), count: t.u32(e + 4), valueOff: e + 8})
	}
	return tags, t.u32(p + 2 + 12*n), true
}
