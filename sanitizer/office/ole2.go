package office

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// OLE2Info is what mugai needs to know about a compound file before
// handing it to LibreOffice.
type OLE2Info struct {
	// Ext is the extension LibreOffice should see: ".doc", ".xls" or
	// ".ppt"; "" for other compound files (Outlook .msg, Visio, MSI, …).
	Ext string
	// Encrypted is set for an encrypted OOXML package ([MS-OFFCRYPTO]
	// §2.3.4: EncryptionInfo and EncryptedPackage streams), an encrypted
	// Word document (FIB fEncrypted) or an encrypted PowerPoint file
	// (EncryptedSummary stream).
	Encrypted bool
	// Macros is set when the file carries a VBA project (Macros, _VBA_PROJECT_CUR).
	Macros bool
	// Streams are the names of the storages and streams, in directory order.
	Streams []string
}

var errNotOLE2 = errors.New("office: not an OLE2 compound file")

const (
	oleMaxDirEntries = 100_000
	oleEndOfChain    = 0xFFFFFFFE
)

// InspectOLE2 reads the directory of a compound file ([MS-CFB] §2.2–2.6)
// without reading its streams, except the first bytes of WordDocument.
func InspectOLE2(r io.ReaderAt, size int64) (OLE2Info, error) {
	var info OLE2Info
	var h [512]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return info, errNotOLE2
	}
	if string(h[:8]) != "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" || binary.LittleEndian.Uint16(h[0x1C:]) != 0xFFFE {
		return info, errNotOLE2
	}
	shift := binary.LittleEndian.Uint16(h[0x1E:])
	if shift != 9 && shift != 12 {
		return info, fmt.Errorf("office: OLE2 sector shift %d", shift)
	}
	ss := int64(1) << shift
	nSectors := size / ss
	sectorOff := func(n uint32) (int64, error) {
		if n >= 0xFFFFFFFA || (int64(n)+1)*ss >= size {
			return 0, errors.New("office: OLE2 sector out of range")
		}
		return (int64(n) + 1) * ss, nil
	}
	// FAT sectors from the header DIFAT (and the DIFAT chain).
	var fatSectors []uint32
	for i := 0; i < 109; i++ {
		s := binary.LittleEndian.Uint32(h[0x4C+4*i:])
		if s < 0xFFFFFFFA {
			fatSectors = append(fatSectors, s)
		}
	}
	difat := binary.LittleEndian.Uint32(h[0x44:])
	for hops := 0; difat < 0xFFFFFFFA; hops++ {
		if hops > int(nSectors) {
			return info, errors.New("office: OLE2 DIFAT loop")
		}
		off, err := sectorOff(difat)
		if err != nil {
			return info, err
		}
		buf := make([]byte, ss)
		if _, err := r.ReadAt(buf, off); err != nil {
			return info, err
		}
		n := int(ss/4) - 1
		for i := 0; i < n; i++ {
			if s := binary.LittleEndian.Uint32(buf[4*i:]); s < 0xFFFFFFFA {
				fatSectors = append(fatSectors, s)
			}
		}
		difat = binary.LittleEndian.Uint32(buf[4*n:])
	}
	if int64(len(fatSectors)) > nSectors {
		return info, errors.New("office: OLE2 FAT larger than the file")
	}
	next := func(s uint32) (uint32, error) {
		per := uint32(ss / 4)
		idx := s / per
		if int(idx) >= len(fatSectors) {
			return 0, errors.New("office: OLE2 chain leaves the FAT")
		}
		off, err := sectorOff(fatSectors[idx])
		if err != nil {
			return 0, err
		}
		var b [4]byte
		if _, err := r.ReadAt(b[:], off+int64(s%per)*4); err != nil {
			return 0, err
		}
		return binary.LittleEndian.Uint32(b[:]), nil
	}
	// Walk the directory chain.
	type dirEntry struct {
		name  string
		start uint32
		size  uint64
	}
	var entries []dirEntry
	cur := binary.LittleEndian.Uint32(h[0x30:])
	cutoff := uint64(binary.LittleEndian.Uint32(h[0x38:]))
	for hops := 0; cur != oleEndOfChain; hops++ {
		if hops > int(nSectors) {
			return info, errors.New("office: OLE2 directory loop")
		}
		off, err := sectorOff(cur)
		if err != nil {
			return info, err
		}
		buf := make([]byte, ss)
		if _, err := r.ReadAt(buf, off); err != nil {
			return info, err
		}
		for i := int64(0); i < ss/128; i++ {
			e := buf[i*128 : (i+1)*128]
			typ := e[0x42]
			if typ != 1 && typ != 2 && typ != 5 {
				continue
			}
			nl := int(binary.LittleEndian.Uint16(e[0x40:]))
			if nl < 2 || nl > 64 || nl%2 != 0 {
				continue
			}
			u := make([]uint16, nl/2-1)
			for j := range u {
				u[j] = binary.LittleEndian.Uint16(e[2*j:])
			}
			entries = append(entries, dirEntry{
				name:  string(utf16.Decode(u)),
				start: binary.LittleEndian.Uint32(e[0x74:]),
				size:  binary.LittleEndian.Uint64(e[0x78:]) & 0xFFFFFFFF,
			})
			if len(entries) > oleMaxDirEntries {
				return info, fmt.Errorf("%w: OLE2 directory over %d entries", ErrLimit, oleMaxDirEntries)
			}
		}
		if cur, err = next(cur); err != nil {
			return info, err
		}
	}
	names := map[string]dirEntry{}
	for _, e := range entries {
		info.Streams = append(info.Streams, e.name)
		names[strings.ToLower(e.name)] = e
	}
	_, encInfo := names["encryptioninfo"]
	_, encPkg := names["encryptedpackage"]
	_, encSummary := names["encryptedsummary"]
	_, macros := names["macros"]
	_, vba := names["_vba_project_cur"]
	info.Macros = macros || vba
	switch {
	case encInfo && encPkg:
		info.Encrypted = true
	case names["worddocument"].name != "":
		info.Ext = ".doc"
		wd := names["worddocument"]
		// FibBase.fEncrypted ([MS-DOC] §2.5.2): bit 8 of the flags at 0x0A.
		if wd.size >= cutoff && wd.size >= 12 {
			if off, err := sectorOff(wd.start); err == nil {
				var fib [12]byte
				if _, err := r.ReadAt(fib[:], off); err == nil && fib[0x0B]&0x01 != 0 {
					info.Encrypted = true
				}
			}
		}
	case names["workbook"].name != "" || names["book"].name != "":
		info.Ext = ".xls"
	case names["powerpoint document"].name != "":
		info.Ext = ".ppt"
		info.Encrypted = encSummary
	}
	return info, nil
}
