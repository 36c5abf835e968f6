package render

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"golang.org/x/image/ccitt"
)

// encodeG4Packed encodes rows packed 1 bit a pixel (1 black), as the
// tests' reference format.
func encodeG4Packed(t testing.TB, packed []byte, width, height int) []byte {
	t.Helper()
	var out bytes.Buffer
	e := newG4Encoder(&out, width)
	stride := (width + 7) / 8
	var ch []int32
	for y := range height {
		ch = packedChanges(ch[:0], packed[y*stride:(y+1)*stride], width)
		e.row(ch)
	}
	if err := e.close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// assertG4RoundTrip decodes data with golang.org/x/image/ccitt and
// compares it with packed bit for bit, padding bits excluded.
func assertG4RoundTrip(t testing.TB, data, packed []byte, width, height int) {
	t.Helper()
	r := ccitt.NewReader(bytes.NewReader(data), ccitt.MSB, ccitt.Group4, width, height, &ccitt.Options{Invert: true})
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("ccitt decode %dx%d: %v", width, height, err)
	}
	stride := (width + 7) / 8
	if len(got) != stride*height {
		t.Fatalf("decoded %d bytes, want %d", len(got), stride*height)
	}
	for y := range height {
		for x := range width {
			i := y*stride + x/8
			m := byte(0x80) >> (x % 8)
			if got[i]&m != packed[i]&m {
				t.Fatalf("%dx%d: pixel (%d,%d) differs", width, height, x, y)
			}
		}
	}
}

func packedImage(width, height int, f func(x, y int) bool) []byte {
	stride := (width + 7) / 8
	p := make([]byte, stride*height)
	for y := range height {
		for x := range width {
			if f(x, y) {
				p[y*stride+x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	return p
}

func TestG4RoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name          string
		width, height int
		f             func(x, y int) bool
	}{
		{"white", 1240, 30, func(x, y int) bool { return false }},
		{"black", 1240, 30, func(x, y int) bool { return true }},
		{"one pixel wide", 1, 50, func(x, y int) bool { return y%3 == 0 }},
		{"first and last column", 100, 20, func(x, y int) bool { return x == 0 || x == 99 }},
		{"checkerboard", 333, 77, func(x, y int) bool { return (x+y)%2 == 0 }},
		{"stripes", 257, 40, func(x, y int) bool { return (x/9)%2 == 0 }},
		{"diagonals", 300, 300, func(x, y int) bool { return (x+2*y)%23 < 4 || (3*x-y+900)%31 < 2 }},
		{"long runs past 2560", 9000, 5, func(x, y int) bool { return (x > 2600 && x < 5300) || x == 8999 && y == 2 }},
		{"runs of 2560 and 2624", 8000, 3, func(x, y int) bool { return x >= 2560 && x < 5184 }},
		{"extended make-up runs of both colours", 6000, 3, func(x, y int) bool { return x >= 1800 && x < 3800 }},
		{"noise", 1001, 101, func(x, y int) bool { return rng.IntN(7) == 0 }},
		{"dense noise", 640, 64, func(x, y int) bool { return rng.IntN(2) == 0 }},
		{"text-like", 1240, 200, func(x, y int) bool {
			return y%40 > 8 && y%40 < 30 && (x*7+y*3)%17 < 5 && x%200 < 180
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			packed := packedImage(tc.width, tc.height, tc.f)
			data := encodeG4Packed(t, packed, tc.width, tc.height)
			assertG4RoundTrip(t, data, packed, tc.width, tc.height)
		})
	}
}

func TestG4EmptyPageIsTiny(t *testing.T) {
	// A white A4 page at 150 dpi is one V0 bit a row.
	const w, h = 1240, 1754
	data := encodeG4Packed(t, make([]byte, (w+7)/8*h), w, h)
	if want := h/8 + 4; len(data) > want {
		t.Errorf("white page: %d bytes, want at most %d", len(data), want)
	}
}

func TestPackedChanges(t *testing.T) {
	tests := []struct {
		name  string
		row   []byte
		width int
		want  []int32
	}{
		{"white", []byte{0, 0}, 16, nil},
		{"black from 0", []byte{0xff, 0x00}, 16, []int32{0, 8}},
		{"single pixels", []byte{0x81, 0x01}, 16, []int32{0, 1, 7, 8, 15}},
		{"padding ignored", []byte{0x00, 0x7f}, 9, nil},
		{"black to the end", []byte{0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 80, []int32{4}},
		{"word boundary", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0}, 80, []int32{64, 65}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := packedChanges(nil, tc.row, tc.width)
			if !slicesEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func slicesEqual(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzG4 encodes random bitmaps and requires the decoder to give them back
// bit for bit, and the output to stay within a bound of the input size.
func FuzzG4(f *testing.F) {
	f.Add(uint16(1), uint16(1), []byte{0x80})
	f.Add(uint16(17), uint16(3), []byte{0xff, 0x00, 0xaa, 0x55, 0x0f})
	f.Add(uint16(64), uint16(8), bytes.Repeat([]byte{0xf0, 0x0f, 0x00, 0xff}, 16))
	f.Add(uint16(3000), uint16(2), bytes.Repeat([]byte{0x00, 0xff, 0xff, 0xff}, 180))
	f.Fuzz(func(t *testing.T, w, h uint16, data []byte) {
		width, height := int(w%4096)+1, int(h%64)+1
		stride := (width + 7) / 8
		packed := make([]byte, stride*height)
		if len(data) > 0 {
			for i := range packed {
				packed[i] = data[i%len(data)] ^ byte(i/len(data))
			}
		}
		enc := encodeG4Packed(t, packed, width, height)
		// Worst case: every pixel a change, coded horizontally: about
		// 3 + 2×8 bits for two one-pixel runs, 10 bits a pixel.
		if bound := height*(width*10+64)/8 + 8; len(enc) > bound {
			t.Fatalf("%dx%d: %d bytes, bound %d", width, height, len(enc), bound)
		}
		assertG4RoundTrip(t, enc, packed, width, height)
	})
}

// TestG4Codes checks the page path: thresholded gray codes at scale 1, and
// at scale 2 the bilinear enlargement, against a direct computation.
func TestG4Codes(t *testing.T) {
	const w, h = 203, 61
	rng := rand.New(rand.NewPCG(5, 6))
	codes := make([]uint16, w*h)
	for i := range codes {
		l := uint16(15)
		if x, y := i%w, i/w; y%15 > 3 && x%11 < 4 {
			l = uint16(rng.IntN(16))
		}
		codes[i] = l<<8 | l<<4 | l
	}
	level := func(x, y int) int32 { return int32(codes[min(max(y, 0), h-1)*w+min(max(x, 0), w-1)] & 15) }
	for _, scale := range []int{1, 2} {
		t.Run(fmt.Sprint("scale ", scale), func(t *testing.T) {
			var out bytes.Buffer
			if err := g4Codes(&out, codes, w, h, scale); err != nil {
				t.Fatal(err)
			}
			W, H := w*scale, h*scale
			want := packedImage(W, H, func(X, Y int) bool {
				if scale == 1 {
					return level(X, Y) < g4Threshold
				}
				x, y := X/2, Y/2
				nx, ny := x-1+2*(X%2), y-1+2*(Y%2)
				v := 9*level(x, y) + 3*level(nx, y) + 3*level(x, ny) + level(nx, ny)
				return v < 16*g4Threshold-8
			})
			assertG4RoundTrip(t, out.Bytes(), want, W, H)
		})
	}
}

// BenchmarkG4 encodes a 150 dpi A4 page from gray codes, as Flatten does:
// lines of short dense strokes, a hard case (about 350 KB coded, five times
// a dense page of text).
func BenchmarkG4(b *testing.B) {
	const w, h = 1240, 1754
	codes := make([]uint16, w*h)
	for i := range codes {
		codes[i] = 0xfff
		if x, y := i%w, i/w; y%24 > 6 && y%24 < 20 && x > 100 && x < 1140 && (x*7+y*3)%17 < 5 {
			codes[i] = 0
		}
	}
	var out bytes.Buffer
	for b.Loop() {
		out.Reset()
		if err := g4Codes(&out, codes, w, h, 1); err != nil {
			b.Fatal(err)
		}
	}
	s := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(w*h)/s/1e6, "Mpixels/s")
	b.ReportMetric(1/s, "pages/s")
	b.ReportMetric(float64(out.Len()), "bytes/page")
}
