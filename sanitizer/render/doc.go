// Package render turns untrusted PDF documents into pixels and into new,
// flattened image-only PDFs.
//
// Pages are rendered by PDFium compiled to WebAssembly (go-pdfium's
// webassembly backend on wazero, pure Go, no cgo). The PDF parser therefore
// runs in a sandbox: the module sees no host directory except one read-only
// folder holding copies (hard links) of the CJK fallback fonts, its linear
// memory is capped (Options.MemoryLimitBytes), and every document has a
// deadline (the ctx): when it ends the running WebAssembly call is aborted
// and the instance is discarded, never reused.
//
// Before any page is rendered, the page count and every page's size at the
// chosen resolution are checked against Limits; a refusal is a *LimitError
// so that the engine can say why the item was withheld.
//
// Flatten writes a new PDF (ISO 32000-1) that holds, per page, one image
// XObject and a content stream that draws it at the page's displayed size.
// Nothing of the input is copied: no text, fonts, annotations, actions,
// metadata or attachments survive. Each page image is stored as black and
// white (CCITT Group 4, ITU-T T.6, encoded here: g4.go), 2-bit gray, a 4- or
// 8-bit palette, 4-bit RGB or JPEG, chosen from its pixels so that text
// stays small and sharp and photographs stay photographs (encode.go).
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
// bidirectional-override characters are dropped. The characters come from
// OCR of the rendered pixels (sanitizer/ocr, Tesseract under bubblewrap;
// pagetext.go) for pages without text of their own.
//
// Where it diverges: the output page size is the page as PDFium displays it
// (CropBox within MediaBox, /Rotate applied), not the raw MediaBox; form
// fields are drawn with their current appearance; optional content is drawn
// as PDFium's default view shows it.
//
// Flattener binds a Pool, started on first use, to the engine: it is the
// sanitizer.Flattener that the PDF and office handlers render with, writing
// the job's output and mapping refusals onto the engine's reasons.
package render
