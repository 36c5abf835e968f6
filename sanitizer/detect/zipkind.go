package detect

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"strings"
)

// maxContentTypesXML bounds how much of [Content_Types].xml is parsed.
const maxContentTypesXML = 1 << 20

// zipKind tells OOXML and ODF packages from plain archives by their
// members. A zip that cannot be opened is still a zip (the archive handler
// will refuse it with its own reason).
func zipKind(r io.ReaderAt, size int64) Kind {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return Zip
	}
	var ct, mimetype *zip.File
	for _, f := range zr.File {
		switch f.Name {
		case "[Content_Types].xml":
			ct = f
		case "mimetype":
			mimetype = f
		}
	}
	if mimetype != nil {
		if k := odfKind(mimetype); k != "" {
			return k
		}
	}
	if ct != nil {
		if k := ooxmlKind(ct); k != "" {
			return k
		}
	}
	return Zip
}

func odfKind(f *zip.File) Kind {
	rc, err := f.Open()
	if err != nil {
		return ""
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 128))
	switch strings.TrimSpace(string(b)) {
	case "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.text-template":
		return ODT
	case "application/vnd.oasis.opendocument.spreadsheet", "application/vnd.oasis.opendocument.spreadsheet-template":
		return ODS
	case "application/vnd.oasis.opendocument.presentation", "application/vnd.oasis.opendocument.presentation-template":
		return ODP
	}
	return ""
}

// ooxmlKind reads the content type of the main part from
// [Content_Types].xml (ECMA-376 Part 2 §10.1.2.2).
func ooxmlKind(f *zip.File) Kind {
	rc, err := f.Open()
	if err != nil {
		return ""
	}
	defer rc.Close()
	var types struct {
		Overrides []struct {
			PartName    string `xml:"PartName,attr"`
			ContentType string `xml:"ContentType,attr"`
		} `xml:"Override"`
	}
	if err := xml.NewDecoder(io.LimitReader(rc, maxContentTypesXML)).Decode(&types); err != nil {
		return ""
	}
	for _, o := range types.Overrides {
		ct := strings.ToLower(o.ContentType)
		macro := strings.Contains(ct, "macroenabled")
		switch {
		case strings.HasPrefix(ct, "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main"),
			strings.HasPrefix(ct, "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main"),
			strings.HasPrefix(ct, "application/vnd.ms-word.") && strings.Contains(ct, ".main+xml"):
			return pick(macro, DOCM, DOCX)
		case strings.HasPrefix(ct, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main"),
			strings.HasPrefix(ct, "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main"),
			strings.HasPrefix(ct, "application/vnd.ms-excel.") && strings.Contains(ct, ".main+xml"):
			return pick(macro, XLSM, XLSX)
		case strings.HasPrefix(ct, "application/vnd.openxmlformats-officedocument.presentationml.presentation.main"),
			strings.HasPrefix(ct, "application/vnd.openxmlformats-officedocument.presentationml.template.main"),
			strings.HasPrefix(ct, "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main"),
			strings.HasPrefix(ct, "application/vnd.ms-powerpoint.") && strings.Contains(ct, ".main+xml"):
			return pick(macro, PPTM, PPTX)
		}
	}
	return ""
}

func pick(cond bool, a, b Kind) Kind {
	if cond {
		return a
	}
	return b
}

// hasZipTail reports whether the last 64 KiB + 22 bytes hold a zip end of
// central directory record (APPNOTE.TXT §4.3.16), the mark of a polyglot
// when the file starts as something else.
func hasZipTail(r io.ReaderAt, size int64) bool {
	n := min(size, 65535+22)
	if n < 22 {
		return false
	}
	tail := make([]byte, n)
	if _, err := r.ReadAt(tail, size-n); err != nil && err != io.EOF {
		return false
	}
	return bytes.Contains(tail, []byte{'P', 'K', 5, 6})
}
