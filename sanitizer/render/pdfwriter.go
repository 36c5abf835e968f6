package render

import (
	"bufio"
	"fmt"
	"image"
	"io"
	"math"
	"strconv"
	"strings"
)

// pdfWriter writes an image-only PDF page by page (ISO 32000-1 §7.5: header,
// body of indirect objects, cross-reference table, trailer).
//
// It is written by hand rather than with pdfcpu because pdfcpu builds the
// whole document model (every page's image stream) in memory before
// writing, while a flattened document must be streamed: each page's image
// is written and dropped before the next is rendered. The format needed
// here is small and fixed:
//
//	1 0 obj  Catalog
//	2 0 obj  Pages (written last, when the page count is known)
//	3…8      the text layer's fonts, if there is one (textlayer.go)
//	then for each page: the Page, its content stream, its image XObjects
//
// The content stream draws the images of the page's places, if any
// ("q w 0 0 h x y cm /Im1 Do Q" each), then the page image over the whole
// page: "q W 0 0 H 0 0 cm /Im0 Do Q".
type pdfWriter struct {
	bw      *bufio.Writer
	n       int64   // bytes written
	offsets []int64 // by object number; [0] unused
	pages   []int   // page object numbers
	err     error
	text    *textLayer // the pages' invisible text; nil for none (textlayer.go)
}

// pdfImage is an encoded image XObject.
type pdfImage struct {
	Width, Height int
	ColorSpace    string // "/DeviceGray" or "/DeviceRGB"
	BPC           int
	Filter        string // "/FlateDecode" or "/DCTDecode"
	DecodeParms   string // "" or a dictionary
	// Mask makes a 1-bit image a stencil mask (§8.9.6.2, no ColorSpace):
	// its 0 samples paint in the fill colour (black), its 1 samples
	// leave the page as it is.
	Mask bool
	Data []byte
}

// placedImage is an image drawn on part of the page: Rect in the pixels of
// the rendered page, y down.
type placedImage struct {
	pdfImage
	Rect image.Rectangle
}

func newPDFWriter(w io.Writer) *pdfWriter {
	pw := &pdfWriter{bw: bufio.NewWriterSize(w, 64<<10), offsets: make([]int64, 3)}
	// §7.5.2: a comment of four bytes >127 marks the file as binary.
	pw.write("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	pw.obj(1)
	pw.write("<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	return pw
}

func (pw *pdfWriter) write(s string) {
	if pw.err != nil {
		return
	}
	n, err := pw.bw.WriteString(s)
	pw.n += int64(n)
	pw.err = err
}

func (pw *pdfWriter) writeBytes(b []byte) {
	if pw.err != nil {
		return
	}
	n, err := pw.bw.Write(b)
	pw.n += int64(n)
	pw.err = err
}

// obj starts indirect object num (§7.3.10) and records its offset.
func (pw *pdfWriter) obj(num int) {
	for len(pw.offsets) <= num {
		pw.offsets = append(pw.offsets, 0)
	}
	pw.offsets[num] = pw.n
	pw.write(strconv.Itoa(num) + " 0 obj\n")
}

// num formats a real number (§7.3.3: no exponent form) with at most four
// decimals.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e4)/1e4, 'f', -1, 64)
}

// page appends a page of wPt × hPt points, rendered at pxW × pxH pixels,
// showing the places' images at their places and img over the whole page,
// under the invisible text of chars.
func (pw *pdfWriter) page(wPt, hPt float64, pxW, pxH int, img *pdfImage, places []placedImage, chars []Char) error {
	base := len(pw.offsets)
	pw.pages = append(pw.pages, base)
	w, h := num(wPt), num(hPt)

	var xobj, content strings.Builder
	sx, sy := wPt/float64(pxW), hPt/float64(pxH)
	for i, p := range places {
		fmt.Fprintf(&xobj, "/Im%d %d 0 R ", i+1, base+3+i)
		fmt.Fprintf(&content, "q %s 0 0 %s %s %s cm /Im%d Do Q\n",
			num(float64(p.Rect.Dx())*sx), num(float64(p.Rect.Dy())*sy),
			num(float64(p.Rect.Min.X)*sx), num(hPt-float64(p.Rect.Max.Y)*sy), i+1)
	}
	fmt.Fprintf(&content, "q %s 0 0 %s 0 0 cm /Im0 Do Q\n", w, h)

	pw.obj(base)
	res, filter, data := pw.text.page(content.String(), chars)
	pw.write(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Resources << /XObject << %s/Im0 %d 0 R >>%s >> /Contents %d 0 R >>\nendobj\n",
		w, h, xobj.String(), base+2, res, base+1))
	pw.obj(base + 1)
	pw.write(fmt.Sprintf("<< /Length %d%s >>\nstream\n", len(data), filter))
	pw.writeBytes(data)
	pw.write("\nendstream\nendobj\n")
	pw.image(base+2, img)
	for i := range places {
		pw.image(base+3+i, &places[i].pdfImage)
	}
	return pw.err
}

// image writes img as image XObject num (§8.9.5).
func (pw *pdfWriter) image(num int, img *pdfImage) {
	pw.obj(num)
	dict := fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d", img.Width, img.Height)
	if img.Mask {
		dict += " /ImageMask true"
	} else {
		dict += " /ColorSpace " + img.ColorSpace
	}
	dict += fmt.Sprintf(" /BitsPerComponent %d /Filter %s", img.BPC, img.Filter)
	if img.DecodeParms != "" {
		dict += " /DecodeParms " + img.DecodeParms
	}
	pw.write(fmt.Sprintf("%s /Length %d >>\nstream\n", dict, len(img.Data)))
	pw.writeBytes(img.Data)
	pw.write("\nendstream\nendobj\n")
}

// finish writes the page tree, the cross-reference table (§7.5.4) and the
// trailer (§7.5.5), and flushes.
func (pw *pdfWriter) finish() error {
	pw.obj(2)
	pw.write("<< /Type /Pages /Kids [")
	for i, p := range pw.pages {
		if i > 0 {
			pw.write(" ")
		}
		pw.write(strconv.Itoa(p) + " 0 R")
	}
	pw.write(fmt.Sprintf("] /Count %d >>\nendobj\n", len(pw.pages)))
	pw.text.finish(pw)

	xref := pw.n
	size := len(pw.offsets)
	pw.write(fmt.Sprintf("xref\n0 %d\n0000000000 65535 f\r\n", size))
	for _, off := range pw.offsets[1:] {
		pw.write(fmt.Sprintf("%010d 00000 n\r\n", off))
	}
	pw.write(fmt.Sprintf("trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", size, xref))
	if pw.err != nil {
		return pw.err
	}
	return pw.bw.Flush()
}
