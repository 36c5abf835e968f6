package office

import "strings"

// Namespaces (ECMA-376 Part 1 Annex A; Part 4 for VML). Strict OOXML
// (purl.oclc.org) names are mapped to their transitional twins by normNS so
// that one rule covers both.
const (
	nsW   = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
	nsR   = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	nsA   = "http://schemas.openxmlformats.org/drawingml/2006/main"
	nsP   = "http://schemas.openxmlformats.org/presentationml/2006/main"
	nsX   = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsC   = "http://schemas.openxmlformats.org/drawingml/2006/chart"
	nsO   = "urn:schemas-microsoft-com:office:office"
	nsV   = "urn:schemas-microsoft-com:vml"
	nsXV  = "urn:schemas-microsoft-com:office:excel"
	nsPkg = "http://schemas.openxmlformats.org/package/2006/relationships"
	nsCT  = "http://schemas.openxmlformats.org/package/2006/content-types"

	relPrefix       = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	relPrefixStrict = "http://purl.oclc.org/ooxml/officeDocument/relationships/"
	relPrefixPkg    = "http://schemas.openxmlformats.org/package/2006/relationships/"
	relPrefixMS     = "http://schemas.microsoft.com/office/"
)

var strictNS = map[string]string{
	"http://purl.oclc.org/ooxml/wordprocessingml/main":        nsW,
	"http://purl.oclc.org/ooxml/officeDocument/relationships": nsR,
	"http://purl.oclc.org/ooxml/drawingml/main":               nsA,
	"http://purl.oclc.org/ooxml/presentationml/main":          nsP,
	"http://purl.oclc.org/ooxml/spreadsheetml/main":           nsX,
	"http://purl.oclc.org/ooxml/drawingml/chart":              nsC,
}

func normNS(uri string) string {
	if t, ok := strictNS[uri]; ok {
		return t
	}
	return uri
}

// relKind is the last segment of a relationship type URI when the URI is
// one of the OOXML or Microsoft Office ones; "" otherwise.
//
// QUIRK: the prefix is compared case-insensitively: LibreOffice writes
// ".../officedocument/2006/relationships/metadata/core-properties" and
// Office reads it.
func relKind(typ string) string {
	for _, p := range []string{relPrefix, relPrefixStrict, relPrefixPkg, relPrefixMS} {
		if len(typ) >= len(p) && strings.EqualFold(typ[:len(p)], p) {
			rest := typ[len(p):]
			if i := strings.LastIndexByte(rest, '/'); i >= 0 {
				// metadata/core-properties, ui/extensibility, 2011/relationships/people
				if strings.HasPrefix(rest, "digital-signature/") {
					return "digital-signature"
				}
				if strings.HasSuffix(rest, "ui/extensibility") || strings.HasSuffix(rest, "ui/userCustomization") {
					return "customUI"
				}
				rest = rest[i+1:]
			}
			return rest
		}
	}
	return ""
}

// allowedRels are the relationship kinds whose internal targets are kept
// (ECMA-376 Part 1 §15 and §11–13). Each target must also be of an allowed
// content type. Everything else is dropped and counted.
var allowedRels = map[string]bool{
	// package
	"officeDocument": true, "core-properties": true, "extended-properties": true, "thumbnail": true,
	// shared
	"styles": true, "theme": true, "themeOverride": true, "image": true, "chart": true,
	"chartUserShapes": true, "chartStyle": true, "chartColorStyle": true,
	"diagramData": true, "diagramLayout": true, "diagramQuickStyle": true, "diagramColors": true,
	"diagramDrawing": true, "comments": true,
	// WordprocessingML
	"stylesWithEffects": true, "settings": true, "webSettings": true, "fontTable": true,
	"numbering": true, "footnotes": true, "endnotes": true, "header": true, "footer": true,
	"glossaryDocument": true, "commentsExtended": true, "commentsIds": true,
	"commentsExtensible": true, "people": true,
	// SpreadsheetML
	"worksheet": true, "chartsheet": true, "sharedStrings": true, "drawing": true, "table": true,
	"pivotTable": true, "pivotCacheDefinition": true, "pivotCacheRecords": true,
	// PresentationML
	"slide": true, "slideLayout": true, "slideMaster": true, "notesSlide": true, "notesMaster": true,
	"handoutMaster": true, "presProps": true, "viewProps": true, "tableStyles": true,
	"commentAuthors": true, "authors": true,
}

// removalCategory names what a dropped relationship was, for the report.
func removalCategory(kind string, external bool) string {
	switch kind {
	case "vbaProject", "vbaProjectSignature", "vbaProjectSignatureAgile", "vbaProjectSignatureV3",
		"wordVbaData", "keyMapCustomizations", "attachedToolbars", "xlMacrosheet", "xlIntlMacrosheet",
		"dialogsheet":
		return "macro"
	case "control", "activeXControl", "activeXControlBinary", "ctrlProp":
		return "activex"
	case "oleObject", "package":
		return "ole"
	case "aFChunk":
		return "embedded"
	case "attachedTemplate":
		return "template"
	case "hyperlink":
		return "hyperlink"
	case "customUI":
		return "customui"
	case "printerSettings":
		return "printer-settings"
	case "customXml", "customXmlProps":
		return "custom-xml"
	case "font":
		return "font"
	case "audio", "video", "media":
		return "media"
	case "digital-signature":
		return "signature"
	case "externalLink", "externalLinkPath", "frame", "subDocument", "queryTable", "connections",
		"xmlMaps", "volatileDependencies":
		return "external-link"
	}
	if external {
		return "external-link"
	}
	return "other-part"
}

// Main-part content types (ECMA-376 Part 1 §11.3.10, §12.3.23, §13.3.6 and
// [MS-OFFMACRO2]/[MS-OE376] for the macro-enabled and template variants).
// Every variant is rewritten to the plain document type: a template or
// slide show comes out as an ordinary document, a macro-enabled one
// without its macros.
const (
	ctDocx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
	ctXlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
	ctPptx = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
	ctRels = "application/vnd.openxmlformats-package.relationships+xml"
)

var mainTypes = map[string]string{
	ctDocx: "docx",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml": "docx",
	"application/vnd.ms-word.document.macroenabled.main+xml":                           "docx",
	"application/vnd.ms-word.template.macroenabledtemplate.main+xml":                   "docx",
	ctXlsx: "xlsx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": "xlsx",
	"application/vnd.ms-excel.sheet.macroenabled.main+xml":                          "xlsx",
	"application/vnd.ms-excel.template.macroenabled.main+xml":                       "xlsx",
	ctPptx: "pptx",
	"application/vnd.openxmlformats-officedocument.presentationml.template.main+xml":  "pptx",
	"application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml": "pptx",
	"application/vnd.ms-powerpoint.presentation.macroenabled.main+xml":                "pptx",
	"application/vnd.ms-powerpoint.template.macroenabled.main+xml":                    "pptx",
	"application/vnd.ms-powerpoint.slideshow.macroenabled.main+xml":                   "pptx",
}

var plainMain = map[string]string{"docx": ctDocx, "xlsx": ctXlsx, "pptx": ctPptx}

// Image parts are decoded and re-encoded; only these survive. EMF and WMF
// are dropped: metafiles are drawing programs for the GDI and have a long
// record of parser exploits (MS05-053, MS08-021, CVE-2022-21903 …, and in
// LibreOffice's own importer), and there is no pure Go decoder to rebuild
// them from. SVG, TIFF, BMP and WebP images are dropped too (a PNG or
// EMF fallback usually stands beside an SVG).
var imageTypes = map[string]string{
	"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/pjpeg": "jpeg", "image/gif": "gif",
}

// isXMLType reports whether a content type names an XML part.
func isXMLType(ct string) bool {
	return strings.HasSuffix(ct, "+xml") || ct == "application/xml" || ct == "text/xml"
}

// deniedXMLTypes are XML parts that are never kept even when a relationship
// of an allowed kind points at them.
func deniedXMLType(ct string) bool {
	for _, s := range []string{"vba", "activex", "macro", "customui", "ole", "externallink",
		"printersettings", "customxml", "xslt", "connections", "querytable", "ribbon", "addin", "binary"} {
		if strings.Contains(ct, s) {
			return !strings.HasSuffix(ct, ".main+xml")
		}
	}
	return false
}
