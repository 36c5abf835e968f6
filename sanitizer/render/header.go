package render

import (
	"bytes"
	"io"
)

// pdfHeader is what withHeader puts before a file that has none.
const pdfHeader = "%PDF-1.7\n"

// withHeader returns the input as PDFium is to read it: as it is, or,
// when its first KiB holds no %PDF- header (ISO 32000-1 §7.5.2), behind
// one.
//
// QUIRK: PDFium refuses a file without a header, which MuPDF and poppler
// open by rebuilding the cross-reference table (a header lost by a broken
// writer or a cut transfer). Behind a header, PDFium rebuilds it too: the
// objects' offsets are off by the header's length.
func withHeader(ra io.ReaderAt, size int64) (io.ReaderAt, int64) {
	head := make([]byte, min(size, 1024))
	n, _ := ra.ReadAt(head, 0)
	if bytes.Contains(head[:n], []byte("%PDF-")) {
		return ra, size
	}
	return headed{ra}, size + int64(len(pdfHeader))
}

// headed reads pdfHeader, then the input.
type headed struct{ ra io.ReaderAt }

func (h headed) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	if off < int64(len(pdfHeader)) {
		n = copy(p, pdfHeader[off:])
		off = int64(len(pdfHeader))
	}
	if n == len(p) {
		return n, nil
	}
	m, err := h.ra.ReadAt(p[n:], off-int64(len(pdfHeader)))
	return n + m, err
}
