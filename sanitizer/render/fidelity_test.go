package render

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitizer/verify"
)

// gradientPDF is an A4 page filled top to bottom by an axial shading from
// blue to white (ISO 32000-1 §8.7.4.5.3), with a heading over it.
func gradientPDF(t testing.TB) []byte {
	t.Helper()
	var b pdfBuilder
	font := b.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	sh := b.add("<< /ShadingType 2 /ColorSpace /DeviceRGB /Coords [0 0 0 842] /Function << /FunctionType 2 /Domain [0 1] /C0 [0.1 0.3 0.8] /C1 [1 1 1] /N 1 >> /Extend [true true] >>")
	c := b.addStream("", []byte("q /Sh1 sh Q BT /F1 28 Tf 72 760 Td (Gradient) Tj ET\n"), false)
	return pagesPDF(&b, "[0 0 595 842]", fmt.Sprintf("<< /Shading << /Sh1 %d 0 R >> /Font << /F1 %d 0 R >> >>", sh, font), []int{c})
}

// tableFillPDF is a page of Latin text with a table whose header row is
// 0.88 gray and every other row 0.94 gray: light fills that thresholding
// and 2-bit gray both turn white.
func tableFillPDF(t testing.TB) []byte {
	t.Helper()
	var b pdfBuilder
	font := b.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	var c strings.Builder
	c.WriteString("BT /F1 10 Tf 13 TL 56 790 Td\n")
	for l := range 30 {
		fmt.Fprintf(&c, "(%d %s) '\n", l+1, lorem[:60+(l*7)%60])
	}
	c.WriteString("ET\n")
	const top, rowH = 380, 16
	for r := range 10 {
		y := top - rowH*(r+1)
		switch {
		case r == 0:
			fmt.Fprintf(&c, "0.88 g 56 %d 483 %d re f\n", y, rowH)
		case r%2 == 0:
			fmt.Fprintf(&c, "0.94 g 56 %d 483 %d re f\n", y, rowH)
		}
		fmt.Fprintf(&c, "0 g BT /F1 9 Tf 60 %d Td (Item %d) Tj 200 0 Td (%d,%03d yen) Tj 150 0 Td (Section %c) Tj ET\n", y+4, r, r*17, r*113%1000, 'A'+r)
	}
	c.WriteString("0.5 w 0 g 56 220 483 160 re S\n")
	content := b.addStream("", []byte(c.String()), true)
	return pagesPDF(&b, "[0 0 595.28 841.89]", fmt.Sprintf("<< /Font << /F1 %d 0 R >> >>", font), []int{content})
}

// fidelityPages are the pages whose flattened images are compared with
// PDFium's render of the input: the generated benchmark and measurement
// documents, the package's testdata, and one page for each kind of content
// and page geometry.
func fidelityPages(t *testing.T) []struct {
	name string
	pdf  []byte
} {
	hello, err := os.ReadFile("testdata/hello.pdf")
	if err != nil {
		t.Fatal(err)
	}
	return []struct {
		name string
		pdf  []byte
	}{
		{"hello", hello},
		{"latin", textPDF(t, 1)},
		{"latin-black", plainLatinPDF(t, 1)},
		{"japanese", japaneseTextPDF(t, 1)},
		{"japanese-9pt", sizedJapanesePDF(t, 9, false)},
		{"seal", sizedJapanesePDF(t, 10.5, true)},
		{"gray-boxes", grayFillPDF(t)},
		{"table-fills", tableFillPDF(t)},
		{"photo", photoPDF(t)},
		{"gradient", gradientPDF(t)},
		{"rotated", rotatedPDF(t)},
		{"cropped", textPDFBox(t, 1, "[0 0 595.28 841.89] /CropBox [50 100 545 700]")},
	}
}

// pageDiff compares a flattened page with the render of the input: the
// mean absolute difference of the components (of 255), the largest, and
// the largest difference of the mean of a flat 8 × 8 block (one whose
// input components span at most 24 levels: fills, shading, gradients),
// where any loss shows.
type pageDiff struct {
	mean, flat float64
	max        uint8
	at         image.Point // the flat block that moved most
}

func comparePages(a, b *image.RGBA) pageDiff {
	var d pageDiff
	var sum float64
	w, h := a.Rect.Dx(), a.Rect.Dy()
	for i := 0; i < len(a.Pix); i += 4 {
		for c := range 3 {
			v := absDiff(a.Pix[i+c], b.Pix[i+c])
			sum += float64(v)
			d.max = max(d.max, v)
		}
	}
	d.mean = sum / float64(3*w*h)
	const bs = 8
	for by := 0; by+bs <= h; by += bs {
		for bx := 0; bx+bs <= w; bx += bs {
			for c := range 3 {
				lo, hi := uint8(255), uint8(0)
				var sa, sb int
				for y := by; y < by+bs; y++ {
					for x := bx; x < bx+bs; x++ {
						o := y*a.Stride + 4*x + c
						lo, hi = min(lo, a.Pix[o]), max(hi, a.Pix[o])
						sa += int(a.Pix[o])
						sb += int(b.Pix[y*b.Stride+4*x+c])
					}
				}
				if v := math.Abs(float64(sa-sb)) / bs / bs; hi-lo <= 24 && v > d.flat {
					d.flat, d.at = v, image.Pt(bx, by)
				}
			}
		}
	}
	return d
}

// renderPages renders every page of in at dpi and returns copies.
func renderPages(t *testing.T, p *Pool, in []byte, dpi int) []*image.RGBA {
	t.Helper()
	var out []*image.RGBA
	err := p.PageImages(t.Context(), bytes.NewReader(in), int64(len(in)), Limits{DPI: dpi}, func(pg Page) error {
		m := image.NewRGBA(pg.Image.Rect)
		draw.Draw(m, m.Rect, pg.Image, image.Point{}, draw.Src)
		out = append(out, m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFlattenedPagesMatchTheInput renders each page, flattens it, renders
// the output again with the same pool at the same resolution, and bounds
// how far the pixels moved: on average (JPEG noise, thresholded glyph
// edges) and on flat areas (a fill that vanishes, a gradient that bands,
// a photograph cut to a few colours). With $MUGAI_FIDELITY_DIR set, the
// input and output documents and their renders (PNG) are written there.
func TestFlattenedPagesMatchTheInput(t *testing.T) {
	p := testPool(t)
	const dpi = 150
	for _, tc := range fidelityPages(t) {
		t.Run(tc.name, func(t *testing.T) {
			out, st := flatten(t, p, tc.pdf, Limits{DPI: dpi})
			assertImageOnlyPDF(t, out, 1)
			if _, err := verify.PDF(t.Context(), bytes.NewReader(out), int64(len(out))); err != nil {
				t.Errorf("verify.PDF: %v", err)
			}
			want := renderPages(t, p, tc.pdf, dpi)[0]
			got := renderPages(t, p, out, dpi)[0]
			if got.Rect != want.Rect {
				t.Fatalf("output page renders %v, input %v", got.Rect, want.Rect)
			}
			d := comparePages(shrink(want, 4), shrink(got, 4))
			t.Logf("%v %v in %d out %d: mean %.2f max %d flat %.1f at %v", st.Encodings, st.JPEGQuality, len(tc.pdf), len(out), d.mean, d.max, d.flat, d.at)
			if dir := os.Getenv("MUGAI_FIDELITY_DIR"); dir != "" {
				writePNG(t, filepath.Join(dir, tc.name+".in.png"), want)
				writePNG(t, filepath.Join(dir, tc.name+".out.png"), got)
				for name, b := range map[string][]byte{".in.pdf": tc.pdf, ".out.pdf": out} {
					if err := os.WriteFile(filepath.Join(dir, tc.name+name), b, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			// Measured at 150 dpi, in blocks of 4 × 4 pixels: text pages
			// 4.7 to 9.3 on average (G4 moves anti-aliased edges to black
			// or white, which reads bolder), photographs 1.2, the gradient
			// 0.6; flat blocks at most 8.1 (the rounding to 4 bits of a
			// 0.9 gray fill). Before the tiles: a 0.9 gray box dropped to
			// white (34), a gradient cut to a palette (22.9).
			if d.mean > 10 {
				t.Errorf("mean difference %.2f > 10", d.mean)
			}
			if d.flat > 9 {
				t.Errorf("a flat block moved by %.1f > 9 levels", d.flat)
			}
			if d.max > 200 {
				t.Errorf("a block moved by %d > 200 levels: something is missing", d.max)
			}
		})
	}
}

// shrink averages blocks of f × f pixels: PDFium draws an image at its
// own size on the page with a slight resampling, which moves glyph edges
// by a fraction of a pixel.
func shrink(m *image.RGBA, f int) *image.RGBA {
	w, h := m.Rect.Dx()/f, m.Rect.Dy()/f
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			for c := range 4 {
				s := 0
				for dy := range f {
					for dx := range f {
						s += int(m.Pix[(y*f+dy)*m.Stride+4*(x*f+dx)+c])
					}
				}
				out.Pix[y*out.Stride+4*x+c] = uint8((s + f*f/2) / (f * f))
			}
		}
	}
	return out
}

func writePNG(t *testing.T, name string, m image.Image) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, m); err != nil {
		t.Fatal(err)
	}
}

// TestFlattenedPageBytes prints the output bytes of each fidelity page
// and the median over the text pages, for the measurements in encode.go.
func TestFlattenedPageBytes(t *testing.T) {
	if os.Getenv("MUGAI_MEASURE_BYTES") == "" {
		t.Skip("MUGAI_MEASURE_BYTES not set")
	}
	p := testPool(t)
	var text []int
	for _, tc := range fidelityPages(t) {
		out, st := flatten(t, p, tc.pdf, Limits{})
		fmt.Printf("%-14s in %7d out %7d ratio %7.2f %v %v\n", tc.name, len(tc.pdf), len(out), float64(len(out))/float64(len(tc.pdf)), st.Encodings, st.JPEGQuality)
		if tc.name != "photo" && tc.name != "gradient" {
			text = append(text, len(out))
		}
	}
	slices.Sort(text)
	fmt.Printf("median text page %d bytes over %d pages\n", text[len(text)/2], len(text))
}

// TestFlattenJPEGQualityFollowsContent: pages of continuous tone
// throughout are stored at the photograph quality, and Stats says so.
func TestFlattenJPEGQualityFollowsContent(t *testing.T) {
	p := testPool(t)
	for name, in := range map[string][]byte{"photo": photoPDF(t), "gradient": gradientPDF(t)} {
		t.Run(name, func(t *testing.T) {
			_, st := flatten(t, p, in, Limits{})
			if st.JPEGQuality[jpegPhotoQuality] != 1 || st.Encodings[EncJPEG] != 1 {
				t.Errorf("encodings %v, JPEG qualities %v", st.Encodings, st.JPEGQuality)
			}
		})
	}
}
