package detect

// Kind names what a file is. The set is closed: anything else is Unknown.
type Kind string

// The detected kinds.
const (
	PDF     Kind = "pdf"
	PNG     Kind = "png"
	JPEG    Kind = "jpeg"
	GIF     Kind = "gif"
	BMP     Kind = "bmp"
	TIFF    Kind = "tiff"
	WebP    Kind = "webp"
	SVG     Kind = "svg"
	HTML    Kind = "html"
	XML     Kind = "xml"
	Text    Kind = "text"
	CSV     Kind = "csv"
	TSV     Kind = "tsv"
	RTF     Kind = "rtf"
	OLE2    Kind = "ole2"
	DOCX    Kind = "docx"
	DOCM    Kind = "docm"
	XLSX    Kind = "xlsx"
	XLSM    Kind = "xlsm"
	PPTX    Kind = "pptx"
	PPTM    Kind = "pptm"
	ODT     Kind = "odt"
	ODS     Kind = "ods"
	ODP     Kind = "odp"
	Zip     Kind = "zip"
	Gzip    Kind = "gzip"
	Tar     Kind = "tar"
	SevenZ  Kind = "7z"
	RAR     Kind = "rar"
	LZH     Kind = "lzh"
	CAB     Kind = "cab"
	ISO     Kind = "iso"
	EXE     Kind = "exe"
	ELF     Kind = "elf"
	MachO   Kind = "macho"
	LNK     Kind = "lnk"
	OneNote Kind = "onenote"
	Script  Kind = "script"
	EML     Kind = "eml"
	// Calendar is an iCalendar file (RFC 5545), sniffed by its
	// BEGIN:VCALENDAR line.
	Calendar Kind = "calendar"
	// EICAR is the EICAR anti-malware test file (IsEICAR), which every
	// operator sends first and which must never cross.
	EICAR   Kind = "eicar"
	Unknown Kind = "unknown"
	Empty   Kind = "empty"
)

// IsText reports whether k is a text kind whose charset matters.
func (k Kind) IsText() bool {
	switch k {
	case Text, CSV, TSV, HTML, XML, SVG, EML, Script, Calendar:
		return true
	}
	return false
}

// IsImage reports whether k is a raster image kind.
func (k Kind) IsImage() bool {
	switch k {
	case PNG, JPEG, GIF, BMP, TIFF, WebP:
		return true
	}
	return false
}

// IsZipBased reports whether k is a package format built on zip.
func (k Kind) IsZipBased() bool {
	switch k {
	case DOCX, DOCM, XLSX, XLSM, PPTX, PPTM, ODT, ODS, ODP:
		return true
	}
	return false
}

var mediaTypes = map[Kind]string{
	PDF: "application/pdf", PNG: "image/png", JPEG: "image/jpeg", GIF: "image/gif",
	BMP: "image/bmp", TIFF: "image/tiff", WebP: "image/webp", SVG: "image/svg+xml",
	HTML: "text/html", XML: "application/xml", Text: "text/plain", CSV: "text/csv",
	TSV: "text/tab-separated-values", RTF: "application/rtf", OLE2: "application/x-ole-storage",
	DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	DOCM: "application/vnd.ms-word.document.macroEnabled.12",
	XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	XLSM: "application/vnd.ms-excel.sheet.macroEnabled.12",
	PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	PPTM: "application/vnd.ms-powerpoint.presentation.macroEnabled.12",
	ODT:  "application/vnd.oasis.opendocument.text", ODS: "application/vnd.oasis.opendocument.spreadsheet",
	ODP: "application/vnd.oasis.opendocument.presentation", Zip: "application/zip",
	Gzip: "application/gzip", Tar: "application/x-tar", SevenZ: "application/x-7z-compressed",
	RAR: "application/vnd.rar", LZH: "application/x-lzh-compressed", CAB: "application/vnd.ms-cab-compressed",
	ISO: "application/x-iso9660-image", EXE: "application/vnd.microsoft.portable-executable",
	ELF: "application/x-elf", MachO: "application/x-mach-binary", LNK: "application/x-ms-shortcut",
	OneNote: "application/onenote", Script: "text/plain", EML: "message/rfc822", Calendar: "text/calendar",
}

// MediaType is the canonical media type of k; application/octet-stream
// for unknown kinds.
func MediaType(k Kind) string {
	if t, ok := mediaTypes[k]; ok {
		return t
	}
	return "application/octet-stream"
}
