package archive

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"
)

// Record signatures and sizes, APPNOTE.TXT 6.3.10 §4.3.
const (
	sigLocal      = 0x04034b50 // §4.3.7
	sigCentral    = 0x02014b50 // §4.3.12
	sigEnd        = 0x06054b50 // §4.3.16
	sigEnd64      = 0x06064b50 // §4.3.14
	sigLocator64  = 0x07064b50 // §4.3.15
	localLen      = 30
	centralLen    = 46
	endLen        = 22
	end64Len      = 56
	locator64Len  = 20
	maxComment    = 0xFFFF
	maxStoredName = 4096 // bytes; longer names are refused as hostile

	extraZip64   = 0x0001 // §4.5.3
	extraUnicode = 0x7075 // §4.6.9 Info-ZIP Unicode Path
	extraAES     = 0x9901 // WinZip AE-x

	flagEncrypted  = 1 << 0  // §4.4.4 bit 0
	flagDescriptor = 1 << 3  // bit 3: sizes and CRC in a data descriptor
	flagStrong     = 1 << 6  // bit 6: PKWARE strong encryption
	flagUTF8       = 1 << 11 // bit 11: language encoding flag (EFS)
	flagMaskedHdr  = 1 << 13 // bit 13: central directory encrypted

	methodStore   = 0
	methodDeflate = 8
	methodBzip2   = 12
	methodAES     = 99
)

// zipEntry is one central directory record, §4.3.12, with the few extra
// fields mugai reads parsed out of it.
type zipEntry struct {
	rawName  []byte
	name     string // decoded to UTF-8
	cp932    bool   // the name was decoded as CP932
	flags    uint16
	method   uint16
	dosTime  uint16
	dosDate  uint16
	crc      uint32
	csize    uint64
	usize    uint64
	offset   uint64 // of the local header
	creator  uint16 // "version made by"
	extAttrs uint32

	aes *aesInfo // from the 0x9901 extra field

	dataOff   int64 // start of the file data, after the local header
	localName []byte
}

// aesInfo is the WinZip AES extra field: AE-1 or AE-2, the key strength
// (1, 2, 3 for 128, 192, 256 bits) and the real compression method.
type aesInfo struct {
	version  uint16
	strength byte
	method   uint16
}

func (e *zipEntry) isDir() bool {
	return len(e.rawName) > 0 && (e.rawName[len(e.rawName)-1] == '/' || e.rawName[len(e.rawName)-1] == '\\')
}

// unixType is the S_IFMT bits of a Unix-made entry's mode, or 0.
func (e *zipEntry) unixType() uint32 {
	if e.creator>>8 != 3 { // §4.4.2.2: 3 = UNIX
		return 0
	}
	return (e.extAttrs >> 16) & 0xF000
}

// modified converts the MS-DOS date and time (§4.4.6) to a time, or the
// zero time when they are not a valid date.
func (e *zipEntry) modified() time.Time {
	y, mo, d := int(e.dosDate>>9)+1980, int(e.dosDate>>5&0xF), int(e.dosDate&0x1F)
	h, mi, s := int(e.dosTime>>11), int(e.dosTime>>5&0x3F), int(e.dosTime&0x1F)*2
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 {
		return time.Time{}
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, 0, time.UTC)
}

// zipDir is a parsed, checked central directory.
type zipDir struct {
	entries []*zipEntry
	cdStart int64
}

// errMalformed marks a zip whose structure mugai refuses.
type formatError string

func (e formatError) Error() string { return "zip: " + string(e) }

// readZipDir reads and checks the central directory of the zip in r.
// It refuses (fail closed) anything a careful writer would not produce:
// bytes before the first record or after the end record, several disks,
// a directory that does not end where the end record begins, more than
// maxEntries records, overlapping entries, data inside the central
// directory. Errors are formatError or *limitError.
func readZipDir(r io.ReaderAt, size int64, maxEntries int) (*zipDir, error) {
	endOff, end, err := findEnd(r, size)
	if err != nil {
		return nil, err
	}
	disk, cdDisk := le16(end[4:]), le16(end[6:])
	onDisk, total := uint64(le16(end[8:])), uint64(le16(end[10:]))
	cdSize, cdOff := uint64(le32(end[12:])), uint64(le32(end[16:]))
	cdEnd := endOff
	if total == 0xFFFF || onDisk == 0xFFFF || cdSize == 0xFFFFFFFF || cdOff == 0xFFFFFFFF || disk == 0xFFFF || cdDisk == 0xFFFF {
		// Zip64, §4.3.14–15.
		if endOff < locator64Len+end64Len {
			return nil, formatError("zip64 end record missing")
		}
		loc := make([]byte, locator64Len)
		if _, err := r.ReadAt(loc, endOff-locator64Len); err != nil || le32(loc) != sigLocator64 {
			return nil, formatError("zip64 locator missing")
		}
		if le32(loc[4:]) != 0 || le32(loc[16:]) != 1 {
			return nil, formatError("multi-disk archives are not supported")
		}
		off64 := le64(loc[8:])
		rec := make([]byte, end64Len)
		if off64 > uint64(endOff) || int64(off64) != endOff-locator64Len-end64Len {
			// QUIRK: an extensible data sector (§4.3.14.2) is allowed
			// after the record; no writer in the field emits one, and
			// refusing keeps the layout exact.
			return nil, formatError("zip64 end record not where the locator says")
		}
		if _, err := r.ReadAt(rec, int64(off64)); err != nil || le32(rec) != sigEnd64 {
			return nil, formatError("zip64 end record missing")
		}
		disk32, cdDisk32 := le32(rec[16:]), le32(rec[20:])
		if disk32 != 0 || cdDisk32 != 0 {
			return nil, formatError("multi-disk archives are not supported")
		}
		onDisk, total = le64(rec[24:]), le64(rec[32:])
		cdSize, cdOff = le64(rec[40:]), le64(rec[48:])
		cdEnd = int64(off64)
		disk, cdDisk = 0, 0
	}
	if disk != 0 || cdDisk != 0 || onDisk != total {
		return nil, formatError("multi-disk archives are not supported")
	}
	if total > uint64(maxEntries) {
		return nil, &limitError{fmt.Sprintf("%d entries, over the limit of %d", total, maxEntries)}
	}
	if cdOff > uint64(cdEnd) || cdSize != uint64(cdEnd)-cdOff {
		return nil, formatError("central directory is not where the end record says (data before or inside the archive)")
	}
	d := &zipDir{cdStart: int64(cdOff)}
	br := bufio.NewReader(io.NewSectionReader(r, int64(cdOff), int64(cdSize)))
	for i := uint64(0); i < total; i++ {
		e, err := readCentral(br)
		if err != nil {
			return nil, err
		}
		d.entries = append(d.entries, e)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, formatError("central directory holds more records than the end record counts")
	}
	if err := d.readLocals(r); err != nil {
		return nil, err
	}
	return d, nil
}

// findEnd finds the end of central directory record, §4.3.16, which must
// end the file exactly (its comment reaching the last byte).
func findEnd(r io.ReaderAt, size int64) (int64, []byte, error) {
	if size < endLen {
		return 0, nil, formatError("too short to be a zip")
	}
	n := min(size, endLen+maxComment)
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, size-n); err != nil && !errors.Is(err, io.EOF) {
		return 0, nil, err
	}
	for i := len(buf) - endLen; i >= 0; i-- {
		if le32(buf[i:]) == sigEnd && i+endLen+int(le16(buf[i+20:])) == len(buf) {
			return size - n + int64(i), buf[i : i+endLen], nil
		}
	}
	return 0, nil, formatError("no end of central directory record at the end of the file")
}

// readCentral reads one central directory record, §4.3.12.
func readCentral(br *bufio.Reader) (*zipEntry, error) {
	var h [centralLen]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, formatError("central directory truncated")
	}
	if le32(h[:]) != sigCentral {
		return nil, formatError("bad central directory record")
	}
	e := &zipEntry{
		creator: le16(h[4:]), flags: le16(h[8:]), method: le16(h[10:]),
		dosTime: le16(h[12:]), dosDate: le16(h[14:]), crc: le32(h[16:]),
		csize: uint64(le32(h[20:])), usize: uint64(le32(h[24:])),
		extAttrs: le32(h[38:]), offset: uint64(le32(h[42:])),
	}
	nameLen, extraLen, commentLen := int(le16(h[28:])), int(le16(h[30:])), int(le16(h[32:]))
	diskStart := le16(h[34:])
	if nameLen > maxStoredName {
		return nil, formatError(fmt.Sprintf("entry name of %d bytes", nameLen))
	}
	e.rawName = make([]byte, nameLen)
	if _, err := io.ReadFull(br, e.rawName); err != nil {
		return nil, formatError("central directory truncated")
	}
	extra := make([]byte, extraLen)
	if _, err := io.ReadFull(br, extra); err != nil {
		return nil, formatError("central directory truncated")
	}
	if _, err := br.Discard(commentLen); err != nil {
		return nil, formatError("central directory truncated")
	}
	var uniName []byte
	var uniCRC uint32
	var hasUni bool
	for len(extra) >= 4 {
		id, n := le16(extra), int(le16(extra[2:]))
		if 4+n > len(extra) {
			return nil, formatError("extra field overruns its record")
		}
		body := extra[4 : 4+n]
		extra = extra[4+n:]
		switch id {
		case extraZip64:
			// §4.5.3: only the fields that are all ones in the record
			// are present, in this order.
			for _, f := range []*uint64{&e.usize, &e.csize, &e.offset} {
				if *f != 0xFFFFFFFF {
					continue
				}
				if len(body) < 8 {
					return nil, formatError("short zip64 extra field")
				}
				*f, body = le64(body), body[8:]
			}
			if diskStart == 0xFFFF {
				if len(body) < 4 {
					return nil, formatError("short zip64 extra field")
				}
				if le32(body) == 0 {
					diskStart = 0
				}
			}
		case extraUnicode:
			if len(body) >= 5 && body[0] == 1 && len(body)-5 <= maxStoredName {
				hasUni, uniCRC, uniName = true, le32(body[1:]), body[5:]
			}
		case extraAES:
			if len(body) < 7 || body[2] != 'A' || body[3] != 'E' {
				return nil, formatError("bad AES extra field")
			}
			e.aes = &aesInfo{version: le16(body), strength: body[4], method: le16(body[5:])}
		}
	}
	if diskStart != 0 {
		return nil, formatError("multi-disk archives are not supported")
	}
	if e.method != methodAES {
		e.aes = nil // the AES extra field means nothing without method 99
	}
	e.name, e.cp932 = decodeName(e.rawName, e.flags&flagUTF8 != 0, uniName, uniCRC, hasUni)
	return e, nil
}

// readLocals reads each entry's local header (§4.3.7) to find its data,
// and refuses overlapping entries: two records that share a local header
// or whose data ranges overlap are how "better zip bombs" (Fifield, 2019)
// reach ratios far past what deflate allows, and no honest writer makes
// them. Every entry's header and data must also end before the central
// directory.
func (d *zipDir) readLocals(r io.ReaderAt) error {
	var h [localLen]byte
	for _, e := range d.entries {
		if e.offset > uint64(d.cdStart) || e.csize > uint64(d.cdStart) {
			return formatError(fmt.Sprintf("%q: data outside the archive", e.name))
		}
		if _, err := r.ReadAt(h[:], int64(e.offset)); err != nil || le32(h[:]) != sigLocal {
			return formatError(fmt.Sprintf("%q: no local header at offset %d", e.name, e.offset))
		}
		nameLen, extraLen := int64(le16(h[26:])), int64(le16(h[28:]))
		e.dataOff = int64(e.offset) + localLen + nameLen + extraLen
		if e.dataOff > d.cdStart || uint64(d.cdStart-e.dataOff) < e.csize {
			return formatError(fmt.Sprintf("%q: data runs into the central directory", e.name))
		}
		if nameLen <= maxStoredName {
			e.localName = make([]byte, nameLen)
			if _, err := r.ReadAt(e.localName, int64(e.offset)+localLen); err != nil {
				return formatError("local header truncated")
			}
		}
		// The local header must agree on what matters for reading the
		// data: encryption and method.
		if le16(h[6:])&flagEncrypted != e.flags&flagEncrypted || le16(h[8:]) != e.method {
			return formatError(fmt.Sprintf("%q: local and central headers disagree on encryption or method", e.name))
		}
	}
	sorted := append([]*zipEntry(nil), d.entries...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].offset < sorted[j].offset })
	for i := 1; i < len(sorted); i++ {
		prev, cur := sorted[i-1], sorted[i]
		if cur.offset < uint64(prev.dataOff)+prev.csize || cur.offset == prev.offset {
			return &overlapError{a: prev.name, b: cur.name}
		}
	}
	return nil
}

// overlapError reports two entries that share bytes.
type overlapError struct{ a, b string }

func (e *overlapError) Error() string {
	return fmt.Sprintf("zip: entries %q and %q overlap (a zip bomb construction)", e.a, e.b)
}

func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }
