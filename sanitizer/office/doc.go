// Package office makes Office documents harmless for mugai.
//
// OOXML (.docx .xlsx .pptx and the macro-enabled, template and slide
// show variants .docm .dotm .xlsm .xltm .pptm .potm .ppsm) is disarmed in
// pure Go by Disarm: a new package is built from an allow-list rather than
// the input being cleaned from a deny-list. Starting from the package
// relationships (ECMA-376 Part 2 §9.3), only parts reached through allowed
// relationship kinds and of allowed content types are kept; every XML part
// is re-serialized token by token with its namespace prefixes as written
// (xmltok.go), every image is decoded and re-encoded, and
// [Content_Types].xml and every relationship part are written anew. What
// goes: VBA projects and their data and signatures, ActiveX, OLE objects
// and embedded packages, customUI (2006 and 2007 ribbon extensibility),
// every external relationship (plain hyperlinks may be kept by option;
// by default the link goes and its text stays), remote templates, external
// workbook links and DDE links, DDE and other non-allow-listed Word fields
// (the field code goes, the displayed result stays), DDE cell formulas,
// Auto_Open names, mail-merge data sources, printer settings, custom XML,
// fonts, media, digital signatures, and program or macro click actions.
// Macro-enabled and template main parts get the plain document type; the
// Result says so, so that the output's name follows (.docm → .docx).
//
// The input zip is read by archive/zipsafe, the strict reader archive
// uses too (no data around or inside the archive, no overlapping entries,
// size and CRC-32 checked against the central directory), and then
// checked (zipin.go): entry count, per-part and total inflated size
// counted while inflating, compression ratio, duplicate names (ASCII
// case-insensitive, Part 2 §9.1.1.4), traversal, absolute and backslashed
// names, encryption.
//
// VerifyOOXML is the independent check of the output (verify.go), written
// against encoding/xml's namespace-resolving decoder and sharing no code
// with Disarm.
//
// Formats with no disarm here — OLE2 .doc .xls .ppt, RTF and ODF — are
// flattened: ConvertToPDF runs LibreOffice (soffice --headless
// --convert-to pdf) under bubblewrap with no network namespace access,
// a read-only /usr, a private /tmp, only the document's work folder
// writable, rlimits set by prlimit (the address space at most the
// process's own hard limit, so that mugai under systemd LimitAS= or in a
// container keeps converting), and a deadline that kills the process
// group; the sandboxed WebAssembly renderer (HandlerOptions.Flattener,
// sanitizer/render) then turns that PDF into images. If bubblewrap or
// LibreOffice is missing, ConvertToPDF returns ErrUnavailable and the
// handlers withhold the item with that reason.
//
// Where it diverges from the specifications and from Office:
//   - EMF, WMF, SVG, TIFF and BMP images are dropped (metafiles have a long
//     record of parser exploits and there is no pure Go decoder to rebuild
//     them); the picture frame stays empty.
//   - Parts reachable only through a relationship kind outside the
//     allow-list are dropped even when harmless (custom properties, tags,
//     slicers, timelines, web extensions, VML legacy drawings of shapes).
//   - An element pointing at a dropped relationship is removed with its
//     subtree, except links, pictures and page setup, which lose only the
//     reference. When an Excel macro or dialog sheet goes, defined names
//     local to it go too and later sheet positions (localSheetId,
//     activeTab, firstSheet) are renumbered.
//   - Documents come out as documents: templates and slide shows are not
//     kept as such.
//   - XML parts must be UTF-8 (Office never writes UTF-16 parts); comments
//     and processing instructions are dropped, DTDs refused.
package office
