package pdf

// Allow-lists. Keys not listed are dropped from the rebuilt dictionary.
var (
	// ISO 32000-1 Table 28 (document catalog), harmless entries only.
	catalogKeys = set("Type", "Pages", "PageLabels", "Names", "Dests", "Outlines",
		"ViewerPreferences", "PageLayout", "PageMode", "Lang", "OCProperties",
		"AcroForm", "OutputIntents")
	// Table 29 (page tree node).
	pagesKeys = set("Type", "Kids", "Count", "Parent", "Resources", "MediaBox", "CropBox", "Rotate")
	// Table 30 (page object), harmless entries only.
	pageKeys = set("Type", "Parent", "Resources", "MediaBox", "CropBox", "BleedBox", "TrimBox",
		"ArtBox", "BoxColorInfo", "Contents", "Rotate", "Group", "Annots", "UserUnit", "Tabs")
	// Table 218 (interactive form dictionary) without XFA and CO.
	acroFormKeys = set("Fields", "NeedAppearances", "SigFlags", "DA", "DR", "Q")
	// Table 169 annotation subtypes mugai keeps (with dangerous entries removed).
	allowedAnnots = set("Text", "Link", "FreeText", "Line", "Square", "Circle", "Polygon",
		"PolyLine", "Highlight", "Underline", "Squiggly", "StrikeOut", "Stamp", "Caret",
		"Ink", "Popup", "Widget", "PrinterMark", "TrapNet", "Watermark", "Redact")
	// Every annotation subtype of ISO 32000-1 Table 169 and ISO 32000-2 Table 171.
	annotSubtypes = set("Text", "Link", "FreeText", "Line", "Square", "Circle", "Polygon",
		"PolyLine", "Highlight", "Underline", "Squiggly", "StrikeOut", "Stamp", "Caret",
		"Ink", "Popup", "FileAttachment", "Sound", "Movie", "Widget", "Screen",
		"PrinterMark", "TrapNet", "Watermark", "3D", "Redact", "Projection", "RichMedia")
	// Table 198 (action types) and ISO 32000-2 Table 201.
	actionTypes = set("GoTo", "GoToR", "GoToE", "GoToDp", "Launch", "Thread", "URI", "Sound",
		"Movie", "Hide", "Named", "SubmitForm", "ResetForm", "ImportData", "SetOCGState",
		"Rendition", "Trans", "GoTo3DView", "JavaScript", "RichMediaExecute")
	// §12.6.4.11: the named actions every reader must support.
	standardNamed = set("NextPage", "PrevPage", "FirstPage", "LastPage")
	// Stream filters whose output mugai decodes and re-encodes (§7.4).
	decodableFilters = set("FlateDecode", "LZWDecode", "ASCIIHexDecode", "ASCII85Decode", "RunLengthDecode")
	// Image codecs kept as encoded (§7.4.8-7.4.10, §7.4.7).
	imageFilters = set("DCTDecode", "JPXDecode", "JBIG2Decode", "CCITTFaxDecode")
)

// droppedKeys are the dictionary entries removed wherever they appear,
// with the Removed category each counts under ("" for harmless leftovers
// that are not reported).
var droppedKeys = map[string]string{
	"JS":                "javascript", // §12.6.4.16
	"XFA":               "xfa",
	"AF":                "embedded-file", // ISO 32000-2 §14.13
	"Collection":        "embedded-file", // portable collections, §12.3.5
	"RichMediaContent":  "richmedia",
	"RichMediaSettings": "richmedia",
	"3DD":               "3d",
	"Metadata":          "",
	"PieceInfo":         "",
	"StructParent":      "",
	"StructParents":     "",
	"OPI":               "",
	"Alternates":        "",
}

func set(ss ...string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}
