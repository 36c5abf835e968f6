// Package zipsafe reads zip archives (APPNOTE.TXT 6.3.10) strictly, for
// the packages that take zips apart: archive (rebuilt zips) and office
// (OOXML packages). It reads the central directory and each local header
// and refuses, before a byte is inflated, what a careful writer never
// produces: data before, inside or after the archive, several disks,
// overlapping entries (the "better zip bomb" construction), local and
// central headers that disagree on encryption or method. It decodes names
// (UTF-8, the Info-ZIP Unicode Path field, else CP932) and inflates
// entries; it leaves decryption, counting against limits and what a name
// may be to its callers.
//
// Divergences from the specification: an extensible data sector after
// the zip64 end record, multi-disk archives and names over 4,096 bytes
// are refused.
package zipsafe

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

	FlagEncrypted  = 1 << 0  // §4.4.4 bit 0
	FlagDescriptor = 1 << 3  // bit 3: sizes and CRC in a data descriptor
	FlagStrong     = 1 << 6  // bit 6: PKWARE strong encryption
	FlagUTF8       = 1 << 11 // bit 11: language encoding flag (EFS)
	FlagMaskedHdr  = 1 << 13 // bit 13: central directory encrypted

	MethodStore   = 0
	MethodDeflate = 8
	MethodBzip2   = 12
	MethodAES     = 99
)

// Entry is one central directory record, §4.3.12, with the few extra
// fields mugai reads parsed out of it.
type Entry struct {
	RawName          []byte
	Name             string // decoded to UTF-8
	CP932            bool   // the name was decoded as CP932
	Flags            uint16
	Method           uint16
	DOSTime          uint16
	DOSDate          uint16
	CRC32            uint32
	CompressedSize   uint64
	UncompressedSize uint64
	Offset           uint64 // of the local header
	Creator          uint16 // "version made by"
	ExternalAttrs    uint32

	AES *AESInfo // from the 0x9901 extra field

	DataOffset int64 // start of the file data, after the local header
	LocalName  []byte
}

// AESInfo is the WinZip AES extra field: AE-1 or AE-2, the key strength
// (1, 2, 3 for 128, 192, 256 bits) and the real compression method.
type AESInfo struct {
	Version  uint16
	Strength byte
	Method   uint16
}

// IsDir reports a folder entry (a name ending in a slash or backslash).
func (e *Entry) IsDir() bool {
	return len(e.RawName) > 0 && (e.RawName[len(e.RawName)-1] == '/' || e.RawName[len(e.RawName)-1] == '\\')
}

// UnixType is the S_IFMT bits of a Unix-made entry's mode, or 0.
func (e *Entry) UnixType() uint32 {
	if e.Creator>>8 != 3 { // §4.4.2.2: 3 = UNIX
		return 0
	}
	return (e.ExternalAttrs >> 16) & 0xF000
}

// Modified converts the MS-DOS date and time (§4.4.6) to a time, or the
// zero time when they are not a valid date.
func (e *Entry) Modified() time.Time {
	y, mo, d := int(e.DOSDate>>9)+1980, int(e.DOSDate>>5&0xF), int(e.DOSDate&0x1F)
	h, mi, s := int(e.DOSTime>>11), int(e.DOSTime>>5&0x3F), int(e.DOSTime&0x1F)*2
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 {
		return time.Time{}
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, 0, time.UTC)
}

// Dir is a parsed, checked central directory.
type Dir struct {
	Entries []*Entry
	cdStart int64
}

// FormatError marks a zip whose structure mugai refuses.
type FormatError string

func (e FormatError) Error() string { return "zip: " + string(e) }

// ReadDir reads and checks the central directory of the zip in r.
// It refuses (fail closed) anything a careful writer would not produce:
// bytes before the first record or after the end record, several disks,
// a directory that does not end where the end record begins, more than
// maxEntries records, overlapping entries, data inside the central
// directory. Errors are FormatError, *OverlapError or *TooManyError.
func ReadDir(r io.ReaderAt, size int64, maxEntries int) (*Dir, error) {
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
			return nil, FormatError("zip64 end record missing")
		}
		loc := make([]byte, locator64Len)
		if _, err := r.ReadAt(loc, endOff-locator64Len); err != nil || le32(loc) != sigLocator64 {
			return nil, FormatError("zip64 locator missing")
		}
		if le32(loc[4:]) != 0 || le32(loc[16:]) != 1 {
			return nil, FormatError("multi-disk archives are not supported")
		}
		off64 := le64(loc[8:])
		rec := make([]byte, end64Len)
		if off64 > uint64(endOff) || int64(off64) != endOff-locator64Len-end64Len {
			// QUIRK: an extensible data sector (§4.3.14.2) is allowed
			// after the record; no writer in the field emits one, and
			// refusing keeps the layout exact.
			return nil, FormatError("zip64 end record not where the locator says")
		}
		if _, err := r.ReadAt(rec, int64(off64)); err != nil || le32(rec) != sigEnd64 {
			return nil, FormatError("zip64 end record missing")
		}
		disk32, cdDisk32 := le32(rec[16:]), le32(rec[20:])
		if disk32 != 0 || cdDisk32 != 0 {
			return nil, FormatError("multi-disk archives are not supported")
		}
		onDisk, total = le64(rec[24:]), le64(rec[32:])
		cdSize, cdOff = le64(rec[40:]), le64(rec[48:])
		cdEnd = int64(off64)
		disk, cdDisk = 0, 0
	}
	if disk != 0 || cdDisk != 0 || onDisk != total {
		return nil, FormatError("multi-disk archives are not supported")
	}
	if total > uint64(maxEntries) {
		return nil, &TooManyError{Entries: total, Max: maxEntries}
	}
	if cdOff > uint64(cdEnd) || cdSize != uint64(cdEnd)-cdOff {
		return nil, FormatError("central directory is not where the end record says (data before or inside the archive)")
	}
	d := &Dir{cdStart: int64(cdOff)}
	br := bufio.NewReader(io.NewSectionReader(r, int64(cdOff), int64(cdSize)))
	for i := uint64(0); i < total; i++ {
		e, err := readCentral(br)
		if err != nil {
			return nil, err
		}
		d.Entries = append(d.Entries, e)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, FormatError("central directory holds more records than the end record counts")
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
		return 0, nil, FormatError("too short to be a zip")
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
	return 0, nil, FormatError("no end of central directory record at the end of the file")
}

// readCentral reads one central directory record, §4.3.12.
func readCentral(br *bufio.Reader) (*Entry, error) {
	var h [centralLen]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, FormatError("central directory truncated")
	}
	if le32(h[:]) != sigCentral {
		return nil, FormatError("bad central directory record")
	}
	e := &Entry{
		Creator: le16(h[4:]), Flags: le16(h[8:]), Method: le16(h[10:]),
		DOSTime: le16(h[12:]), DOSDate: le16(h[14:]), CRC32: le32(h[16:]),
		CompressedSize: uint64(le32(h[20:])), UncompressedSize: uint64(le32(h[24:])),
		ExternalAttrs: le32(h[38:]), Offset: uint64(le32(h[42:])),
	}
	nameLen, extraLen, commentLen := int(le16(h[28:])), int(le16(h[30:])), int(le16(h[32:]))
	diskStart := le16(h[34:])
	if nameLen > maxStoredName {
		return nil, FormatError(fmt.Sprintf("entry name of %d bytes", nameLen))
	}
	e.RawName = make([]byte, nameLen)
	if _, err := io.ReadFull(br, e.RawName); err != nil {
		return nil, FormatError("central directory truncated")
	}
	extra := make([]byte, extraLen)
	if _, err := io.ReadFull(br, extra); err != nil {
		return nil, FormatError("central directory truncated")
	}
	if _, err := br.Discard(commentLen); err != nil {
		return nil, FormatError("central directory truncated")
	}
	var uniName []byte
	var uniCRC uint32
	var hasUni bool
	for len(extra) >= 4 {
		id, n := le16(extra), int(le16(extra[2:]))
		if 4+n > len(extra) {
			return nil, FormatError("extra field overruns its record")
		}
		body := extra[4 : 4+n]
		extra = extra[4+n:]
		switch id {
		case extraZip64:
			// §4.5.3: only the fields that are all ones in the record
			// are present, in this order.
			for _, f := range []*uint64{&e.UncompressedSize, &e.CompressedSize, &e.Offset} {
				if *f != 0xFFFFFFFF {
					continue
				}
				if len(body) < 8 {
					return nil, FormatError("short zip64 extra field")
				}
				*f, body = le64(body), body[8:]
			}
			if diskStart == 0xFFFF {
				if len(body) < 4 {
					return nil, FormatError("short zip64 extra field")
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
				return nil, FormatError("bad AES extra field")
			}
			e.AES = &AESInfo{Version: le16(body), Strength: body[4], Method: le16(body[5:])}
		}
	}
	if diskStart != 0 {
		return nil, FormatError("multi-disk archives are not supported")
	}
	if e.Method != MethodAES {
		e.AES = nil // the AES extra field means nothing without method 99
	}
	e.Name, e.CP932 = DecodeName(e.RawName, e.Flags&FlagUTF8 != 0, uniName, uniCRC, hasUni)
	return e, nil
}

// readLocals reads each entry's local header (§4.3.7) to find its data,
// and refuses overlapping entries: two records that share a local header
// or whose data ranges overlap are how "better zip bombs" (Fifield, 2019)
// reach ratios far past what deflate allows, and no honest writer makes
// them. Every entry's header and data must also end before the central
// directory.
func (d *Dir) readLocals(r io.ReaderAt) error {
	var h [localLen]byte
	for _, e := range d.Entries {
		if e.Offset > uint64(d.cdStart) || e.CompressedSize > uint64(d.cdStart) {
			return FormatError(fmt.Sprintf("%q: data outside the archive", e.Name))
		}
		if _, err := r.ReadAt(h[:], int64(e.Offset)); err != nil || le32(h[:]) != sigLocal {
			return FormatError(fmt.Sprintf("%q: no local header at offset %d", e.Name, e.Offset))
		}
		nameLen, extraLen := int64(le16(h[26:])), int64(le16(h[28:]))
		e.DataOffset = int64(e.Offset) + localLen + nameLen + extraLen
		if e.DataOffset > d.cdStart || uint64(d.cdStart-e.DataOffset) < e.CompressedSize {
			return FormatError(fmt.Sprintf("%q: data runs into the central directory", e.Name))
		}
		if nameLen <= maxStoredName {
			e.LocalName = make([]byte, nameLen)
			if _, err := r.ReadAt(e.LocalName, int64(e.Offset)+localLen); err != nil {
				return FormatError("local header truncated")
			}
		}
		// The local header must agree on what matters for reading the
		// data: encryption and method.
		if le16(h[6:])&FlagEncrypted != e.Flags&FlagEncrypted || le16(h[8:]) != e.Method {
			return FormatError(fmt.Sprintf("%q: local and central headers disagree on encryption or method", e.Name))
		}
	}
	sorted := append([]*Entry(nil), d.Entries...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Offset < sorted[j].Offset })
	for i := 1; i < len(sorted); i++ {
		prev, cur := sorted[i-1], sorted[i]
		if cur.Offset < uint64(prev.DataOffset)+prev.CompressedSize || cur.Offset == prev.Offset {
			return &OverlapError{A: prev.Name, B: cur.Name}
		}
	}
	return nil
}

// OverlapError reports two entries that share bytes.
type OverlapError struct{ A, B string }

func (e *OverlapError) Error() string {
	return fmt.Sprintf("zip: entries %q and %q overlap (a zip bomb construction)", e.A, e.B)
}

// TooManyError reports a central directory with more entries than the
// caller allows.
type TooManyError struct {
	Entries uint64
	Max     int
}

func (e *TooManyError) Error() string {
	return fmt.Sprintf("%d entries, over the limit of %d", e.Entries, e.Max)
}

func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }
