package detect

import (
	"bytes"
	"io"
	"regexp"
)

// FindingPDFNoHeader: the file is PDF objects without the %PDF- header.
const FindingPDFNoHeader = "pdf-header-missing"

// objHeader is an indirect object's start, "12 0 obj" (ISO 32000-1
// §7.3.10), after white space and comments.
var objHeader = regexp.MustCompile(`\A(?:[\x00\t\n\f\r ]+|%[^\r\n]*[\r\n])*\d{1,10}[\x00\t\n\f\r ]+\d{1,5}[\x00\t\n\f\r ]+obj\b`)

// isHeaderlessPDF reports whether a file without a %PDF- header is PDF
// body all the same: it starts with an indirect object, and either that
// object ends within the first KiB or the file ends with a trailer.
//
// QUIRK: PDFium and MuPDF open such files (the header lost by a broken
// writer or a cut transfer); as text, mugai would deliver their raw source.
func isHeaderlessPDF(r io.ReaderAt, size int64, head []byte) bool {
	first := head[:min(len(head), 1024)]
	if !objHeader.Match(first) {
		return false
	}
	if bytes.Contains(first, []byte("endobj")) {
		return true
	}
	tail := make([]byte, min(size, 1024))
	n, _ := r.ReadAt(tail, size-int64(len(tail)))
	tail = tail[:n]
	return bytes.Contains(tail, []byte("trailer")) || bytes.Contains(tail, []byte("startxref"))
}
