// Package detect identifies what a file is from its content, never from
// its name or declared media type.
//
// Magic numbers come from github.com/h2non/filetype; mugai adds its own
// sniffers where that library is weak or silent: PDF with a header anywhere
// in the first KiB (as readers accept, ISO 32000-1 §7.5.2 implementation
// note) or PDF objects without one (pdfbody.go), OOXML and ODF by their zip members ([Content_Types].xml, ECMA-376
// Part 2 §10.1; the mimetype member, ODF 1.2 Part 3 §3.3), OLE2 compound
// files, RTF, HTML, SVG, XML, mail messages (RFC 5322 header block),
// iCalendar files (RFC 5545 §3.4, BEGIN:VCALENDAR), the EICAR
// anti-malware test file (eicar.org's definition, also once decoded
// from UTF-16) and text with its charset.
//
// The declared name is used only to make a verdict stricter (text under
// a name Windows runs, from Outlook's Level 1 list, is a script), never
// to trust a file more.
package detect

import (
	"bytes"
	"fmt"
	"io"

	"github.com/h2non/filetype"

	"github.com/mugai-project/mugai/sanitizer/charset"
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
	FindingEICAR          = "eicar-test-file"
)

// SniffLen is how much of the start of a file the sniffers read.
const SniffLen = 64 << 10

// Detect identifies the content of r (size bytes). name and declaredType
// are what the sender claimed; they only add findings.
func Detect(r io.ReaderAt, size int64, name, declaredType string) Result {
	head := make([]byte, min(size, SniffLen))
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	kind, cs := sniff(r, size, head, name)
	content := kind
	var runnable []Finding
	if ext := RunnableExt(name); ext != "" && kind.IsText() {
		// The declared name is what the recipient's PC acts on: text
		// named to run is a script, whatever it reads like.
		runnable = []Finding{{FindingScriptName, fmt.Sprintf("the name ends in %s, which Windows runs, and the content is %s", ext, kind)}}
		kind = Script
	}
	res := Result{Kind: kind, MediaType: MediaType(kind)}
	if kind.IsText() {
		res.Charset = cs
	}
	if kind == EICAR {
		res.Findings = append(res.Findings, Finding{FindingEICAR, "the content is the EICAR anti-malware test file (eicar.org)"})
	}
	res.Findings = append(res.Findings, runnable...)
	res.Findings = append(res.Findings, NameFindings(name)...)
	res.Findings = append(res.Findings, mismatch(content, name, declaredType)...)
	switch {
	case res.Kind == PDF && !bytes.Contains(head[:min(len(head), 1024)], []byte("%PDF-")):
		res.Findings = append(res.Findings, Finding{FindingPDFNoHeader, "PDF objects without a PDF header"})
	case res.Kind == PDF && !bytes.HasPrefix(head, []byte("%PDF-")):
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
	case IsEICAR(head):
		return EICAR, ""
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
	case isHeaderlessPDF(r, size, head):
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
		return binaryMessage(head, name), ""
	}
	if cs == charset.UTF16LE || cs == charset.UTF16BE {
		// Markup and headers are sniffed on the decoded text.
		if u, err := io.ReadAll(io.LimitReader(charset.Decoder(cs, bytes.NewReader(head)), SniffLen)); err == nil {
			head = u
		}
	}
	if IsEICAR(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))) {
		// The test file in another encoding is the test file once decoded.
		return EICAR, ""
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
