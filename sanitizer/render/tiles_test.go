package render

import (
	"image"
	"image/color"
	"testing"
)

// codesOf computes the 12-bit colour codes as encodePage does.
func codesOf(m *image.RGBA) []uint16 {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	codes := make([]uint16, w*h)
	for y := range h {
		for x := range w {
			p := m.Pix[y*m.Stride+4*x:]
			codes[y*w+x] = q4(p[0])<<8 | q4(p[1])<<4 | q4(p[2])
		}
	}
	return codes
}

func TestMapTiles(t *testing.T) {
	const w, h = 256, 256
	page := func(f func(x, y int) color.RGBA) *image.RGBA {
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				m.SetRGBA(x, y, f(x, y))
			}
		}
		return m
	}
	white := color.RGBA{255, 255, 255, 255}
	gray := func(v uint8) color.RGBA { return color.RGBA{v, v, v, 255} }
	tests := []struct {
		name string
		img  *image.RGBA
		want tileKind // flags some tile must have
		none tileKind // flags no tile may have
	}{
		{"white", page(func(x, y int) color.RGBA { return white }), 0, tileInk},
		{"black bar with anti-aliased edges", page(func(x, y int) color.RGBA {
			switch {
			case x >= 40 && x < 200 && y >= 100 && y < 140:
				return gray(0)
			case x >= 40 && x < 200 && (y == 99 || y == 140), (x == 39 || x == 200) && y >= 100 && y < 140:
				return gray(150) // one level along each edge: the stroke on one side, paper on the other
			}
			return white
		}), tileInk, tileGray | tileColour | tileSmooth},
		{"light gray rule", page(func(x, y int) color.RGBA {
			if y == 60 && x >= 10 && x < 240 {
				return gray(225)
			}
			return white
		}), tileGray | tileLight, tileColour | tileSmooth},
		{"mid gray fill", page(func(x, y int) color.RGBA {
			if x < 128 {
				return gray(128)
			}
			return white
		}), tileGray, tileLight | tileColour},
		{"colour gradient", page(func(x, y int) color.RGBA {
			return color.RGBA{uint8(y), 80, 200, 255}
		}), tileColour | tileSmooth | tileSmoothColour, tileGray},
		{"red flat seal", page(func(x, y int) color.RGBA {
			if (x-128)*(x-128)+(y-128)*(y-128) < 900 {
				return color.RGBA{217, 26, 26, 255}
			}
			return white
		}), tileColour, tileSmooth | tileGray},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mapTiles(tc.img, codesOf(tc.img))
			if tc.want != 0 && m.count(tc.want) == 0 {
				t.Errorf("no tile has flags %b", tc.want)
			}
			if m.anyOf(tc.none) {
				t.Errorf("a tile has one of the flags %b: %b", tc.none, m.kind)
			}
		})
	}
}

func TestPlacesMergeTouchingTiles(t *testing.T) {
	m := &tileMap{cols: 4, rows: 3, kind: []tileKind{
		tileColour, 0, 0, 0,
		0, tileColour, 0, tileGray,
		0, 0, 0, tileGray,
	}}
	got := m.places(tileColour|tileGray, 4*tileSize-5, 3*tileSize-7)
	want := []image.Rectangle{
		image.Rect(0, 0, 2*tileSize, 2*tileSize),                     // diagonal neighbours
		image.Rect(3*tileSize, tileSize, 4*tileSize-5, 3*tileSize-7), // clipped to the page
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("places = %v, want %v", got, want)
	}
	if got := mergeOverlaps([]image.Rectangle{image.Rect(0, 0, 10, 10), image.Rect(20, 0, 30, 10), image.Rect(5, 5, 25, 8)}); len(got) != 1 || got[0] != image.Rect(0, 0, 30, 10) {
		t.Errorf("mergeOverlaps = %v", got)
	}
}

// TestLightFillsKeepTheirGray: a page of black strokes on two light gray
// fills, which evenly spaced 2-bit levels would store as white, is stored
// in 2 bits that keep both fills.
func TestLightFillsKeepTheirGray(t *testing.T) {
	const w, h = 300, 200
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8(255)
			switch {
			case y%20 < 3:
				v = 0
			case y < 100:
				v = 224 // 0.88 gray
			default:
				v = 240 // 0.94 gray
			}
			m.SetRGBA(x, y, color.RGBA{v, v, v, 255})
		}
	}
	e, err := encodePage(m, encodeOptions{grayBits: 2, bilevelScale: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.free()
	if e.enc != EncGray || e.img.BPC != 2 {
		t.Fatalf("encoding %s, %d bits", e.enc, e.img.BPC)
	}
	if far := countFar(m, decodeFlateImage(t, &e.img), 8); far > 0 {
		t.Errorf("%d pixels off by more than 8 levels", far)
	}
}
