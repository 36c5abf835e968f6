package mail

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// TNEF (Transport Neutral Encapsulation Format, [MS-OXTNEF]) is how
// Outlook wraps attachments in winmail.dat. No Go TNEF library is
// available to mugai, so this reads just what 無害化 needs, streaming:
// each attachment's title and data (§2.1.3.3), every other attribute
// skipped. The extracted files go through the engine like any part; the
// rich-text body and MAPI properties are dropped.
const (
	tnefSignature  = 0x223E9F78
	tnefLevelAttch = 0x02
	attAttachTitle = 0x00018010 // attachment file name, 8-bit string
	attAttachData  = 0x0006800F // attachment content
	attRendData    = 0x00069002 // starts a new attachment
	maxTNEFAttr    = 1 << 20    // largest attribute read into memory (titles)
)

// isTNEF reports whether a part is declared as TNEF.
func isTNEF(mt, name string) bool {
	return mt == "application/ms-tnef" || mt == "application/vnd.ms-tnef" || strings.EqualFold(baseName(name), "winmail.dat")
}

// tnef extracts the attachments of a TNEF part and hands each to the
// engine. A stream that is not TNEF goes to the engine whole (and is
// withheld there as unknown).
func (w *walker) tnef(c *collector, name string, body io.Reader) error {
	br := bufio.NewReaderSize(body, 4096)
	head, _ := br.Peek(6)
	if len(head) < 6 || binary.LittleEndian.Uint32(head) != tnefSignature {
		return w.attach(c, part{Name: name, DeclaredType: "application/ms-tnef", Body: br})
	}
	br.Discard(6) // signature and legacy key
	title, extracted := "", false
	var hdr [9]byte
	for {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if err == io.EOF {
				return nil
			}
			w.stats.failed = append(w.stats.failed, name)
			return nil
		}
		level, id, size := hdr[0], binary.LittleEndian.Uint32(hdr[1:5]), int64(binary.LittleEndian.Uint32(hdr[5:9]))
		switch {
		case level == tnefLevelAttch && id == attRendData:
			title = ""
		case level == tnefLevelAttch && id == attAttachTitle:
			if size > maxTNEFAttr {
				return errLimit("a TNEF title of %d bytes", size)
			}
			b := make([]byte, size)
			if _, err := io.ReadFull(br, b); err != nil {
				w.stats.failed = append(w.stats.failed, name)
				return nil
			}
			var f textFindings
			title = cleanText(rawToUTF8([]byte(strings.TrimRight(string(b), "\x00")), &f), &f)
			size = 0
		case level == tnefLevelAttch && id == attAttachData:
			if !extracted {
				w.stats.tnef = append(w.stats.tnef, name)
				extracted = true
			}
			w.parts++
			if w.parts > w.o.MaxParts {
				return errLimit("more than %d MIME parts", w.o.MaxParts)
			}
			if title == "" {
				w.names++
				title = fmt.Sprintf("attachment%d", w.names)
			}
			lr := &io.LimitedReader{R: br, N: size}
			if err := w.attach(c, part{Name: title, Body: lr}); err != nil {
				return err
			}
			if _, err := io.Copy(io.Discard, lr); err != nil {
				return err
			}
			if lr.N > 0 {
				w.stats.failed = append(w.stats.failed, name)
				return nil
			}
			size = 0
		}
		if size > 0 {
			if n, err := br.Discard(int(min(size, 1<<30))); int64(n) < size || err != nil {
				if errors.Is(err, io.EOF) || int64(n) < size {
					w.stats.failed = append(w.stats.failed, name)
					return nil
				}
				return err
			}
		}
		if _, err := br.Discard(2); err != nil { // checksum
			return nil
		}
	}
}
