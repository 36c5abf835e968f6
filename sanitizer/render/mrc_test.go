package render

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"testing"

	"golang.org/x/image/ccitt"
)

// composeLayered draws an encoded page as a PDF reader would: white paper,
// the places' images at their places, black where the mask's samples are
// 0 (ISO 32000-1 §8.9.6.2).
func composeLayered(t *testing.T, e *encodedPage, w, h int) *image.RGBA {
	t.Helper()
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(out, out.Rect, image.White, image.Point{}, draw.Src)
	for _, r := range e.regions {
		var m image.Image
		if r.Filter == "/DCTDecode" {
			var err error
			if m, err = jpeg.Decode(bytes.NewReader(r.Data)); err != nil {
				t.Fatal(err)
			}
		} else {
			m = decodeFlateImage(t, &r.pdfImage)
		}
		if m.Bounds().Size() != r.Rect.Size() {
			t.Fatalf("place %v holds a %v image", r.Rect, m.Bounds())
		}
		draw.Draw(out, r.Rect, m, m.Bounds().Min, draw.Src)
	}
	if !e.img.Mask || e.img.ColorSpace != "" || e.img.BPC != 1 {
		t.Fatalf("base image is not a stencil mask: %+v", e.img.DecodeParms)
	}
	raw, err := io.ReadAll(ccitt.NewReader(bytes.NewReader(e.img.Data), ccitt.MSB, ccitt.Group4, w, h, nil))
	if err != nil {
		t.Fatal(err)
	}
	rowLen := (w + 7) / 8
	for y := range h {
		for x := range w {
			if raw[y*rowLen+x/8]>>(7-x%8)&1 == 0 {
				out.SetRGBA(x, y, color.RGBA{0, 0, 0, 255})
			}
		}
	}
	return out
}

// TestEncodeSealedTextPageInLayers: a page of black text with a red seal
// is stored as a G4 mask over an image of the seal, smaller than whole,
// and reads back as the page: thresholded text, the seal as it was.
func TestEncodeSealedTextPageInLayers(t *testing.T) {
	const w, h = 700, 900
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	seal := image.Rect(520, 720, 640, 840)
	// Glyph-like shapes: each 16 × 16 cell of a line a random 4 × 4
	// pattern of 3-pixel squares.
	rng := rand.New(rand.NewPCG(5, 6))
	glyphs := make([]uint16, (w/16+1)*(h/24+1))
	for i := range glyphs {
		glyphs[i] = uint16(rng.Uint32())
	}
	for y := range h {
		for x := range w {
			c := color.RGBA{255, 255, 255, 255}
			if gx, gy := x%16, y%24; gx < 12 && gy < 12 && x > 40 && x < 660 {
				if glyphs[(y/24)*(w/16+1)+x/16]>>(gy/3*4+gx/3)&1 == 1 {
					c = color.RGBA{0, 0, 0, 255}
				}
			}
			if dx, dy := x-580, y-780; dx*dx+dy*dy < 55*55 && dx*dx+dy*dy > 48*48 || dx > -20 && dx < 20 && dy > -30 && dy < 30 && (dx/6+dy/6)%2 == 0 {
				c = color.RGBA{217, 26, 26, 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
	// Anti-aliased edges, as PDFium draws them: a 2 × 2 box blur.
	for y := range h - 1 {
		for x := range w - 1 {
			for c := range 3 {
				o := y*m.Stride + 4*x + c
				m.Pix[o] = uint8((int(m.Pix[o]) + int(m.Pix[o+4]) + int(m.Pix[o+m.Stride]) + int(m.Pix[o+m.Stride+4]) + 2) / 4)
			}
		}
	}
	e, err := encodePage(m, encodeOptions{grayBits: 2, bilevelScale: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.free()
	if e.enc != EncLayered || len(e.regions) != 1 {
		t.Fatalf("encoding %s with %d places", e.enc, len(e.regions))
	}
	if r := e.regions[0].Rect; !seal.In(r) || r.Dx()*r.Dy() > 3*seal.Dx()*seal.Dy() {
		t.Errorf("place %v does not fit the seal %v", r, seal)
	}
	whole, err := encodePage(m, encodeOptions{grayBits: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer whole.free()
	t.Logf("layered %d bytes (seal %d), whole %s %d bytes", e.size(), len(e.regions[0].Data), whole.enc, whole.size())
	if e.size() >= whole.size() {
		t.Errorf("layered %d bytes, whole %d", e.size(), whole.size())
	}
	// In the place, as stored (a palette: 4 bits a component, a few
	// blends farther); elsewhere, thresholded.
	got := composeLayered(t, e, w, h)
	r := e.regions[0].Rect
	if far := countFar(crop(m, r), crop(got, r), paletteFar*17+8); far*paletteMaxFar > r.Dx()*r.Dy() {
		t.Errorf("%d pixels of the seal off by more than %d levels", far, paletteFar*17+8)
	}
	for y := range h {
		for x := range w {
			if image.Pt(x, y).In(r) {
				continue
			}
			if black := q4(m.Pix[y*m.Stride+4*x+1]) < g4Threshold; black != (got.Pix[y*got.Stride+4*x] == 0) {
				t.Fatalf("pixel (%d, %d): %v decoded as %v", x, y, m.RGBAAt(x, y), got.RGBAAt(x, y))
			}
		}
	}
}

// crop copies the part r of m.
func crop(m *image.RGBA, r image.Rectangle) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Rect, m, r.Min, draw.Src)
	return out
}
