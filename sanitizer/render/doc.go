// Package render turns untrusted PDF documents into pixels and into new,
// flattened image-only PDFs.
//
// Pages are rendered by PDFium compiled to WebAssembly (go-pdfium's
// experimental/wazy backend on wazy, a fork of wazero whose compiled code
// can be interrupted at a fraction of wazero's cost; pure Go, no cgo; see
// pool.go for why). The PDF parser therefore
// runs in a sandbox: the module sees no host directory except one read-only
// folder holding copies (hard links) of the CJK fallback fonts, its linear
// memory is capped (Options.MemoryLimitBytes), and every document has a
// deadline (the ctx): when it ends the running WebAssembly call is aborted
// and the instance is discarded, never reused.
//
// PDFium is the only parser of the input: it opens encrypted documents
// with Limits.Password, or with the empty password, which opens those that
// carry only an owner password (restrictions on printing or editing); a
// file without its %PDF- header is read behind one (header.go). Before any
// page is rendered, the page count and every page's size at the chosen
// resolution are checked against Limits; a refusal is a *LimitError so
// that the engine can say why the item was withheld. Pages that PDFium
// counts but cannot read are left out (Stats.Skipped); a document none of
// whose pages can be read is malformed.
//
// Flatten also reports, in Stats.Removed, the active content that the
// output leaves behind, in sanitizer/pdf's categories, as far as PDFium's
// API tells it (inventory.go): the JavaScript name tree ("javascript"),
// embedded files, XFA forms, page open and close actions
// ("additional-actions"), annotations by subtype (file attachments, sound,
// movie, screen, rich media, 3D, unknown) and link actions by type (URI,
// Launch, GoToR, GoToE; every other action type, JavaScript among them, is
// "action"). PDFium does not expose the document's /OpenAction and /AA,
// the actions and scripts of form fields, the calculation order, PostScript
// XObjects, external streams or alternate presentations: these are not
// reported, though rendering leaves them behind like everything else.
//
// Every rendered page is checked for text that left no ink (losttext.go):
// characters in a font that neither the PDF embeds nor the sandbox's
// fallback folder provides, or whose codes PDFium maps to no glyph, are
// drawn as nothing. The check samples the already-rendered pixels inside
// the bounds of each text object in a font the PDF does not embed, and
// asks PDFium's text API only for the characters of those that left no
// ink. Such pages are listed in Stats.LostText with the fonts; the Flattener withholds the document
// (sanitizer.ReasonLostText) or, with the policy's lost_text "warn",
// delivers it with a note. The fallback folder holds the Japanese,
// Simplified and Traditional Chinese and Korean faces of fonts-noto-cjk
// (read from its .ttc) and the IPA fonts; PDFium's built-in standard fonts
// serve Latin text and symbols.
//
// Flatten writes a new PDF (ISO 32000-1) that holds, per page, one image
// XObject (or, for text with a few places in colour or gray, a black and
// white stencil mask over small images of those places, mrc.go) and a
// content stream that draws them at the page's displayed size.
// Nothing of the input is copied: no text, fonts, annotations, actions,
// metadata or attachments survive. Each page image is stored as black and
// white (CCITT Group 4, ITU-T T.6, encoded here: g4.go), 2- or 4-bit gray,
// a 4- or 8-bit palette, 4-bit RGB or JPEG, chosen from its pixels (tiles.go)
// so that text stays small and sharp, fills and shading keep their tone and
// photographs stay photographs (encode.go).
// The writer is a small hand-written one
// (objects, cross-reference table and trailer, ISO 32000-1 §7.5) because the
// output is streamed page by page; see pdfwriter.go.
//
// So that staff can search, copy and have read aloud what the page image
// shows, a page may also carry an invisible text layer (Limits.Text, the
// policy's pdf.text_layer): its characters, each placed on its box, in
// text render mode 3 (§9.3.6, never drawn) and a glyphless CIDFont
// (§9.7.4; its TrueType program has one empty glyph, as in Tesseract's
// PDF renderer) with a ToUnicode CMap (§9.10.3), horizontal (Identity-H)
// or vertical (Identity-V) — textlayer.go, glyphless.go. Control and
// bidirectional-override characters are dropped. The characters are the
// page's own text as PDFium's text API reads it in the sandbox, with
// their boxes taken through the same device matrix as the pixels
// (extract.go), or, for pages without text of their own, what OCR reads
// in the rendered pixels (sanitizer/ocr, Tesseract under bubblewrap;
// pagetext.go). The glyphs of a line abut on one baseline, in one TJ, so
// that a phrase is found verbatim: pdftotext, pdftotext -raw and PDFium
// (Chromium's viewer) put no space between Japanese characters and break
// no line the page does not (TestFlattenedTextIsSearchable). PDFium drops
// a text object of no width on the page, and glyphs without outlines give
// a column (縦書き), or a line turned a quarter, none: such a run leans a
// little across itself (a shear in its text matrix, drawing nothing), so
// that PDFium finds every column; and a column's glyphs advance a
// hundredth of an em horizontally, where vertical writing does not move,
// so that PDFium keeps columns in the layer's order (a scan's, right to
// left) rather than sorting those that start at one height by x. Where it
// falls short: PDFium reads no line of a single character; the page's own
// text comes in the order PDFium reads the original (columns at one
// height left to right, so that a phrase across two of them is found by
// pdftotext alone, there as in the original); pdftotext -raw reads
// vertical text a character a line, as it does the original's.
//
// Where it diverges: the output page size is the page as PDFium displays it
// (CropBox within MediaBox, /Rotate applied), not the raw MediaBox; PDFium's
// API does not report a page's /UserUnit (§7.7.3.3, table 30): it is
// applied as the caller gives it (Limits.PageUnits; the PDF handler reads
// it with pdfcpu in its own sandbox), else such a page comes out at its
// size in default units, and a page larger than 14400 points (Annex C)
// is written as it is, without a /UserUnit of its own; form
// fields are drawn with their current appearance; optional content is drawn
// as PDFium's default view shows it.
//
// Flattener binds a Pool, started on first use, to the engine: it is the
// sanitizer.Flattener that the PDF and office handlers render with, writing
// the job's output, recording what was removed and how it was rendered,
// and mapping refusals onto the engine's reasons.
package render
