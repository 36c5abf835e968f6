package render

import (
	"bytes"
	"cmp"
	"compress/zlib"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/image/ccitt"
)

// decodeFlateImage undoes what flateCodes and the colour space did, as a
// PDF reader would (ISO 32000-1 §7.4.4.4, §8.6.6.3).
// A CCITTFaxDecode image is decoded by golang.org/x/image/ccitt (§7.4.6:
// 1 bit a pixel, rows byte-aligned, 0 black without /BlackIs1).
func decodeFlateImage(t *testing.T, im *pdfImage) *image.RGBA {
	t.Helper()
	var r io.Reader
	switch im.Filter {
	case "/FlateDecode":
		zr, err := zlib.NewReader(bytes.NewReader(im.Data))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "/CCITTFaxDecode":
		want := fmt.Sprintf("<< /K -1 /Columns %d /Rows %d >>", im.Width, im.Height)
		if im.DecodeParms != want || im.BPC != 1 || im.ColorSpace != "/DeviceGray" {
			t.Fatalf("CCITT image %s, %d bits, %s", im.DecodeParms, im.BPC, im.ColorSpace)
		}
		r = ccitt.NewReader(bytes.NewReader(im.Data), ccitt.MSB, ccitt.Group4, im.Width, im.Height, nil)
		im = &pdfImage{Width: im.Width, Height: im.Height, BPC: 1, ColorSpace: im.ColorSpace}
	default:
		t.Fatalf("filter %s", im.Filter)
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	comps := 1
	if im.ColorSpace == "/DeviceRGB" {
		comps = 3
	}
	var pal []byte
	if strings.HasPrefix(im.ColorSpace, "[/Indexed") {
		h := im.ColorSpace[strings.Index(im.ColorSpace, "<")+1 : strings.Index(im.ColorSpace, ">")]
		if pal, err = hex.DecodeString(h); err != nil {
			t.Fatal(err)
		}
	}
	if im.DecodeParms != "" {
		t.Fatalf("unexpected DecodeParms %s", im.DecodeParms)
	}
	rowLen := (im.Width*comps*im.BPC + 7) / 8
	if len(raw) != im.Height*rowLen {
		t.Fatalf("decoded %d bytes, want %d", len(raw), im.Height*rowLen)
	}
	out := image.NewRGBA(image.Rect(0, 0, im.Width, im.Height))
	top := 1<<im.BPC - 1
	for y := 0; y < im.Height; y++ {
		cur := raw[y*rowLen : (y+1)*rowLen]
		sample := func(i int) uint8 { // i-th sample of the row, §8.9.5.2
			bit := i * im.BPC
			return cur[bit/8] >> (8 - im.BPC - bit%8) & uint8(top)
		}
		level := func(i int) uint8 { return uint8((int(sample(i))*255 + top/2) / top) }
		for x := 0; x < im.Width; x++ {
			var c color.RGBA
			switch {
			case pal != nil:
				i := int(sample(x))
				c = color.RGBA{pal[3*i], pal[3*i+1], pal[3*i+2], 255}
			case comps == 1:
				v := level(x)
				c = color.RGBA{v, v, v, 255}
			default:
				c = color.RGBA{level(3 * x), level(3*x + 1), level(3*x + 2), 255}
			}
			out.SetRGBA(x, y, c)
		}
	}
	return out
}

// countFar counts the pixels of b that differ from a by more than level on
// some component.
func countFar(a, b *image.RGBA, level uint8) (far int) {
	for i := 0; i < len(a.Pix); i += 4 {
		if max(absDiff(a.Pix[i], b.Pix[i]), absDiff(a.Pix[i+1], b.Pix[i+1]), absDiff(a.Pix[i+2], b.Pix[i+2])) > level {
			far++
		}
	}
	return far
}

func TestEncodePageRoundTrip(t *testing.T) {
	const w, h = 301, 207 // odd sizes exercise the half-byte row ends
	rng := rand.New(rand.NewPCG(3, 4))
	fill := func(f func(x, y int) color.RGBA) *image.RGBA {
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				m.SetRGBA(x, y, f(x, y))
			}
		}
		return m
	}
	textish := func(x, y int) color.RGBA {
		if (x/7+y/11)%5 == 0 {
			v := uint8(x * 255 / w)
			return color.RGBA{v, v, v, 255}
		}
		return color.RGBA{255, 255, 255, 255}
	}
	// Black glyph-like strokes with anti-aliased edges: pure black, white
	// and every gray level.
	blackText := func(x, y int) color.RGBA {
		if y%20 < 4 || y%20 > 15 || x%30 > 5 {
			return color.RGBA{255, 255, 255, 255}
		}
		v := uint8(0)
		if x%30 == 0 || x%30 == 5 {
			v = uint8((x*31 + y*17) % 256)
		}
		return color.RGBA{v, v, v, 255}
	}
	tests := []struct {
		name     string
		img      *image.RGBA
		grayBits int // if set, no G4
		want     Encoding
		level    uint8 // component error allowed...
		maxFar   int   // ...on all but this many pixels
	}{
		{"gray text 1 bit", fill(textish), 1, EncGray, 128 + 9, 0},
		{"gray text 2 bits", fill(textish), 2, EncGray, 43 + 9, 0},
		{"gray text 4 bits", fill(textish), 4, EncGray, 8, 0},
		{"black text", fill(blackText), 0, EncG4, 0, 0},
		{"black text with a gray box", fill(func(x, y int) color.RGBA {
			if x > 20 && x < 200 && y > 100 && y < 150 {
				return color.RGBA{204, 204, 204, 255}
			}
			return blackText(x, y)
		}), 0, EncGray, 43 + 9, 0},
		{"black and white noise is not G4 (larger than 2-bit gray)", fill(func(x, y int) color.RGBA {
			v := uint8(255 * rng.IntN(2))
			return color.RGBA{v, v, v, 255}
		}), 0, EncGray, 0, 0},
		{"gray picture is not thresholded", fill(func(x, y int) color.RGBA {
			v := uint8(x + rng.IntN(30))
			return color.RGBA{v, v, v, 255}
		}), 0, EncGray, 43 + 9, 0},
		{"few colours", fill(func(x, y int) color.RGBA {
			if x < 100 {
				return color.RGBA{200, 0, 0, 255}
			}
			return textish(x, y)
		}), 0, EncIndexed, 8, 0},
		{"gray text with a colour blend", fill(func(x, y int) color.RGBA {
			if y == 3 {
				return color.RGBA{0, 0, uint8(x * 255 / w), 255}
			}
			return textish(x, y)
		}), 0, EncIndexed, paletteFar*17 + 8, w * h / paletteMaxFar},
		{"text with a small colourful picture", fill(func(x, y int) color.RGBA {
			if x < 60 && y < 60 {
				return color.RGBA{uint8(4 * x), uint8(4 * y), uint8(2*x + 2*y), 255}
			}
			return textish(x, y)
		}), 0, EncRGB4, 8, 0},
		{"gradient", fill(func(x, y int) color.RGBA {
			return color.RGBA{uint8(x), uint8(y), uint8(x + y), 255}
		}), 0, EncJPEG, 255, w * h},
		{"noise photo", fill(func(x, y int) color.RGBA {
			return color.RGBA{uint8(rng.IntN(256)), uint8(y + rng.IntN(30)), uint8(x + rng.IntN(30)), 255}
		}), 0, EncJPEG, 255, w * h},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := encodeOptions{grayBits: cmp.Or(tc.grayBits, 2), bilevelScale: 1}
			if tc.grayBits != 0 {
				opt.bilevelScale = 0 // gray of grayBits
			}
			e, err := encodePage(tc.img, opt)
			if err != nil {
				t.Fatal(err)
			}
			defer e.free()
			if e.enc != tc.want {
				t.Fatalf("encoding %s, want %s", e.enc, tc.want)
			}
			if e.img.Width != w || e.img.Height != h {
				t.Fatalf("size %dx%d", e.img.Width, e.img.Height)
			}
			var got *image.RGBA
			if e.img.Filter == "/DCTDecode" {
				m, err := jpeg.Decode(bytes.NewReader(e.img.Data))
				if err != nil {
					t.Fatal(err)
				}
				if m.Bounds() != tc.img.Rect {
					t.Fatalf("JPEG bounds %v", m.Bounds())
				}
				return
			}
			got = decodeFlateImage(t, &e.img)
			if e.enc == EncG4 {
				// Thresholded: black exactly where the gray is below
				// g4Threshold.
				for i := 0; i < len(got.Pix); i += 4 {
					if wantBlack := q4(tc.img.Pix[i+1]) < g4Threshold; wantBlack != (got.Pix[i] == 0) {
						t.Fatalf("pixel %d: gray %d decoded as %d", i/4, tc.img.Pix[i+1], got.Pix[i])
					}
				}
				return
			}
			if far := countFar(tc.img, got, tc.level); far > tc.maxFar {
				t.Errorf("%d pixels off by more than %d levels (allowed %d)", far, tc.level, tc.maxFar)
			}
		})
	}
}

func TestFlattenAlphaCompositesOnWhite(t *testing.T) {
	m := image.NewRGBA(image.Rect(0, 0, 2, 1))
	m.Pix = []byte{0, 0, 0, 0, 0, 0, 0, 128}
	flattenAlpha(m)
	if m.Pix[0] != 255 || m.Pix[3] != 255 || m.Pix[4] != 127 || m.Pix[7] != 255 {
		t.Errorf("got %v", m.Pix)
	}
}
