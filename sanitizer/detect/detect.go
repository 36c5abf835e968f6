// Package detect identifies what a file is from its content, never from
// its name or declared media type.
//
// Magic numbers come from github.com/h2non/filetype; mugai adds its own
// sniffers where that library is weak or silent: PDF with a header anywhere
// in the first KiB (as readers accept, ISO 32000-1 §7.5.2 implementation
// note), OOXML and ODF by their zip members ([Content_Types].xml, ECMA-376
// Part 2 §10.1; the mimetype member, ODF 1.2 Part 3 §3.3), OLE2 compound
// files, RTF, HTML, SVG, XML, mail messages (RFC 5322 header block) and
// text with its charset.
//
// The declared name is used only to make a verdict stricter (a script
// saved as text is a script), never to trust a file more.
package detect

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"path"
	"strings"

	"github.com/h2non/filetype"

	"github.com/mugai-project/mugai/sanitizer/charset"
)

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
	Unknown Kind = "unknown"
	Empty   Kind = "empty"
)

// Result is what Detect found.
type Result struct {
	Kind      Kind
	MediaType string          // canonical media type of Kind
	Charset   charset.Charset // for text kinds
	Findings  []Finding       // suspicious facts noticed on the way
}

// Finding is a suspicious fact about an input, such as a name that hides
// its real extension. Findings do not decide the action on their own; they
// are reported.
type Finding struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// Finding codes.
const (
	FindingTypeMismatch   = "type-mismatch"
	FindingBidiControl    = "name-bidi-control"
	FindingDoubleExt      = "name-double-extension"
	FindingTrailingDots   = "name-trailing-dot-or-space"
	FindingControlChars   = "name-control-character"
	FindingPolyglot       = "polyglot"
	FindingScriptName     = "script-name"
	FindingPDFNotAtOffset = "pdf-header-not-at-start"
)

// SniffLen is how much of the start of a file the sniffers read.
const SniffLen = 64 << 10

// maxContentTypesXML bounds how much of [Content_Types].xml is parsed.
const maxContentTypesXML = 1 << 20

// Detect identifies the content of r (size bytes). name and declaredType
// are what the sender claimed; they only add findings.
func Detect(r io.ReaderAt, size int64, name, declaredType string) Result {
	head := make([]byte, min(size, SniffLen))
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	kind, cs := sniff(r, size, head, name)
	res := Result{Kind: kind, MediaType: MediaType(kind)}
	if kind.IsText() {
		res.Charset = cs
	}
	res.Findings = append(res.Findings, NameFindings(name)...)
	res.Findings = append(res.Findings, mismatch(res.Kind, name, declaredType)...)
	if res.Kind == PDF && !bytes.HasPrefix(head, []byte("%PDF-")) {
		res.Findings = append(res.Findings, Finding{FindingPDFNotAtOffset, "the PDF header is preceded by other bytes"})
	}
	if (res.Kind == Zip || res.Kind.IsZipBased()) && bytes.Contains(head[:min(len(head), 1024)], []byte("%PDF-")) {
		res.Findings = append(res.Findings, Finding{FindingPolyglot, "a PDF header is within the first KiB of a zip archive, where PDF readers look for it"})
	}
	if res.Kind != Zip && !res.Kind.IsZipBased() && hasZipTail(r, size) {
		res.Findings = append(res.Findings, Finding{FindingPolyglot, "a zip archive is appended to a " + string(res.Kind) + " file"})
	}
	return res
}

// sniff returns the kind and, for text, the charset the text was
// recognised in (sniffed once, here).
func sniff(r io.ReaderAt, size int64, head []byte, name string) (Kind, charset.Charset) {
	if size == 0 {
		return Empty, ""
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return OLE2, ""
	case bytes.HasPrefix(head, []byte{0xE4, 0x52, 0x5C, 0x7B, 0x8C, 0xD8, 0xA7, 0x4D}):
		return OneNote, ""
	case bytes.HasPrefix(head, []byte{0x4C, 0, 0, 0, 0x01, 0x14, 0x02, 0}):
		return LNK, ""
	// Executables are matched on their shortest magic: a truncated
	// executable is still one (filetype wants complete headers).
	case bytes.HasPrefix(head, []byte("MZ")):
		return EXE, ""
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return ELF, ""
	case isMachO(head):
		return MachO, ""
	case bytes.HasPrefix(head, []byte("{\\rt")):
		return RTF, ""
	// A zip local file header at offset 0 wins over a PDF header further
	// in (a PDF stored in the zip); Detect adds a polyglot finding.
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return zipKind(r, size), ""
	case len(head) > 5 && bytes.Contains(head[:min(len(head), 1024)], []byte("%PDF-")):
		return PDF, ""
	case isISO(r, size):
		return ISO, ""
	case len(head) >= 7 && head[2] == '-' && head[3] == 'l' && head[4] == 'h' && head[6] == '-':
		return LZH, ""
	}
	if k, ok := magic(head); ok {
		if k == Zip {
			return zipKind(r, size), ""
		}
		return k, ""
	}
	cs := charset.Sniff(head)
	if cs == "" {
		return Unknown, ""
	}
	if cs == charset.UTF16LE || cs == charset.UTF16BE {
		// Markup and headers are sniffed on the decoded text.
		if u, err := io.ReadAll(io.LimitReader(charset.Decoder(cs, bytes.NewReader(head)), SniffLen)); err == nil {
			head = u
		}
	}
	k := textKind(head, name)
	if k == HTML && cs != charset.UTF16LE && cs != charset.UTF16BE {
		// A page's <meta charset> counts when its bytes do not decide.
		if h := charset.SniffHTML(head); h != "" {
			cs = h
		}
	}
	return k, cs
}

// magic maps h2non/filetype's verdict onto Kind.
func magic(head []byte) (Kind, bool) {
	t, err := filetype.Match(head)
	if err != nil || t == filetype.Unknown {
		return "", false
	}
	switch t.Extension {
	case "png":
		return PNG, true
	case "jpg":
		return JPEG, true
	case "gif":
		return GIF, true
	case "bmp":
		return BMP, true
	case "tif":
		return TIFF, true
	case "webp":
		return WebP, true
	case "zip", "docx", "xlsx", "pptx", "epub", "jar", "apk":
		return Zip, true
	case "gz":
		return Gzip, true
	case "tar":
		return Tar, true
	case "7z":
		return SevenZ, true
	case "rar":
		return RAR, true
	case "cab":
		return CAB, true
	case "exe", "dll":
		return EXE, true
	case "elf":
		return ELF, true
	case "macho":
		return MachO, true
	case "pdf":
		return PDF, true
	case "rtf":
		return RTF, true
	}
	// A format we have no handler for (audio, video, fonts, other
	// archives): unknown, and so withheld.
	return Unknown, true
}

// isMachO matches the Mach-O thin and fat headers in either byte order;
// 0xCAFEBABE is also a Java class file, which is just as executable.
func isMachO(head []byte) bool {
	if len(head) < 4 {
		return false
	}
	switch string(head[:4]) {
	case "\xfe\xed\xfa\xce", "\xfe\xed\xfa\xcf", "\xce\xfa\xed\xfe", "\xcf\xfa\xed\xfe", "\xca\xfe\xba\xbe", "\xbe\xba\xfe\xca":
		return true
	}
	return false
}

// isISO looks for the ISO 9660 volume descriptor "CD001" at sector 16
// (ECMA-119 §8.1) and the UDF equivalents.
func isISO(r io.ReaderAt, size int64) bool {
	if size < 0x8006 {
		return false
	}
	b := make([]byte, 5)
	for _, off := range []int64{0x8001, 0x8801, 0x9001} {
		if _, err := r.ReadAt(b, off); err == nil {
			switch string(b) {
			case "CD001", "BEA01", "NSR02", "NSR03":
				return true
			}
		}
	}
	return false
}

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

// textKind sorts text into mail, markup, delimited data, scripts and plain text.
func textKind(head []byte, name string) Kind {
	lower := bytes.ToLower(head[:min(len(head), 4096)])
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(lower, []byte("\xef\xbb\xbf")), " \t\r\n")
	ext := strings.ToLower(path.Ext(name))
	switch {
	case bytes.HasPrefix(trimmed, []byte("#!")):
		return Script
	case scriptExt[ext]:
		return Script
	case isMessage(head):
		return EML
	case bytes.Contains(lower, []byte("<svg")):
		return SVG
	case isHTML(lower):
		return HTML
	case bytes.HasPrefix(trimmed, []byte("<?xml")), bytes.HasPrefix(trimmed, []byte("<")) && bytes.Contains(lower, []byte("xmlns")):
		return XML
	}
	switch ext {
	case ".csv":
		return CSV
	case ".tsv", ".tab":
		return TSV
	}
	return Text
}

var htmlMarkers = [][]byte{
	[]byte("<!doctype html"), []byte("<html"), []byte("<head"), []byte("<body"),
	[]byte("<script"), []byte("<iframe"), []byte("<meta"), []byte("<style"),
	[]byte("<a href"), []byte("<img"), []byte("<div"), []byte("<table"), []byte("<form"),
	[]byte("<object"), []byte("<embed"), []byte("<svg"), []byte("<p>"), []byte("<br"),
}

// isHTML is deliberately eager: text that a browser would render as HTML
// is HTML, and goes through the HTML → text converter.
func isHTML(lower []byte) bool {
	for _, m := range htmlMarkers {
		if bytes.Contains(lower, m) {
			return true
		}
	}
	return false
}

var scriptExt = map[string]bool{
	".js": true, ".jse": true, ".vbs": true, ".vbe": true, ".wsf": true, ".wsh": true,
	".ps1": true, ".psm1": true, ".bat": true, ".cmd": true, ".hta": true, ".sh": true,
	".py": true, ".pl": true, ".rb": true, ".php": true, ".jar": true, ".scr": true,
	".reg": true, ".inf": true, ".scf": true, ".url": true, ".desktop": true, ".applescript": true,
	".sct": true, ".lnk": true, ".msc": true, ".mht": true, ".mhtml": true, ".svgz": true,
}

// messageHeaders are RFC 5322 §3.6 field names; two of them in the first
// lines of a file, or an mbox "From " line, make it a message.
var messageHeaders = []string{
	"from", "to", "cc", "subject", "date", "message-id", "received", "return-path",
	"mime-version", "content-type", "reply-to", "sender", "delivered-to", "x-mailer",
	"dkim-signature", "authentication-results", "in-reply-to", "references",
}

func isMessage(head []byte) bool {
	lines := bytes.SplitN(head[:min(len(head), 8192)], []byte("\n"), 40)
	if len(lines) > 0 && bytes.HasPrefix(lines[0], []byte("From ")) {
		return true
	}
	known := 0
	for i, l := range lines {
		l = bytes.TrimRight(l, "\r")
		if len(l) == 0 {
			break
		}
		if l[0] == ' ' || l[0] == '\t' {
			continue
		}
		colon := bytes.IndexByte(l, ':')
		if colon <= 0 {
			if i == 0 {
				return false
			}
			break
		}
		field := strings.ToLower(string(l[:colon]))
		for _, h := range messageHeaders {
			if field == h {
				known++
				break
			}
		}
	}
	return known >= 2
}

// IsText reports whether k is a text kind whose charset matters.
func (k Kind) IsText() bool {
	switch k {
	case Text, CSV, TSV, HTML, XML, SVG, EML, Script:
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
	OneNote: "application/onenote", Script: "text/plain", EML: "message/rfc822",
}

// MediaType is the canonical media type of k; application/octet-stream
// for unknown kinds.
func MediaType(k Kind) string {
	if t, ok := mediaTypes[k]; ok {
		return t
	}
	return "application/octet-stream"
}
