// Package ocr finds the text of rendered page images with Tesseract
// (Debian's tesseract-ocr with the jpn and jpn_vert models), so that a
// flattened page that had no text of its own, a scan, can still be
// searched and copied.
//
// Tesseract is a large C++ image parser, so it runs only as a subprocess
// under the bubblewrap and prlimit sandbox of internal/bwrap: no
// network, a read-only root, its own work folder, rlimits and a deadline
// for each run. It is given only pixels that mugai itself rendered and wrote
// (a binary PGM, Netpbm P5), never an input file, and what comes back is
// its TSV output (one row per layout element: level, page, block,
// paragraph, line, word, left, top, width, height, confidence, text),
// parsed here in pure Go with limits on its size, its rows and each
// word's length; words become plain Unicode text with boxes in the
// image's pixels.
//
// A page is read with jpn+eng and automatic layout; a page laid out
// mostly in vertical columns (縦書き) is read again with jpn_vert as one
// block of vertical text, and the reading expected to give more
// characters right is kept (vertical.go says why, with the figures).
//
// Where it diverges: Tesseract's TSV does not say a line is vertical; a
// line whose box is much taller than wide and that holds more than one
// character is taken as a top-to-bottom line. Orientation and script
// detection (OSD) is not used: it does not know Japanese.
package ocr
