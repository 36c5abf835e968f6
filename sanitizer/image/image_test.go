package image

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"runtime"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// testImage returns an opaque image with gradients and edges.
func testImage(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x ^ y) & 0xFF), 255})
		}
	}
	return m
}

func encodePNG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngChunk builds one PNG chunk with its CRC (PNG §5.3).
func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	binary.Write(&b, binary.BigEndian, crc.Sum32())
	return b.Bytes()
}

// insertBeforeIEND puts chunks before IEND and appends trailer after it.
func insertBeforeIEND(t testing.TB, p []byte, chunks [][]byte, trailer []byte) []byte {
	t.Helper()
	i := bytes.LastIndex(p, []byte("IEND"))
	if i < 4 {
		t.Fatal("no IEND")
	}
	var b bytes.Buffer
	b.Write(p[:i-4])
	for _, c := range chunks {
		b.Write(c)
	}
	b.Write(p[i-4:])
	b.Write(trailer)
	return b.Bytes()
}

// gpsIFDMarker is the IFD0 entry that points at the GPS IFD (tag 0x8825,
// type LONG, count 1), big-endian, as written by exifPayload.
var gpsIFDMarker = []byte{0x88, 0x25, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01}

const exifCanary = "MUGAI-EXIF-CANARY"

// exifPayload builds a big-endian Exif TIFF structure (Exif 2.32 §4.5.2)
// with Make, Orientation and a GPS IFD holding latitude 35°41'22" N.
func exifPayload(orientation uint16) []byte {
	be := binary.BigEndian
	var b bytes.Buffer
	b.WriteString("MM\x00*")
	binary.Write(&b, be, uint32(8)) // IFD0 at 8
	const n0 = 3
	ifd0End := 8 + 2 + 12*n0 + 4
	makeOff := ifd0End
	makeVal := exifCanary + "\x00"
	gpsOff := makeOff + len(makeVal)
	if gpsOff%2 == 1 {
		makeVal += "\x00"
		gpsOff++
	}
	binary.Write(&b, be, uint16(n0))
	entry := func(tag, typ uint16, count, val uint32) {
		binary.Write(&b, be, tag)
		binary.Write(&b, be, typ)
		binary.Write(&b, be, count)
		binary.Write(&b, be, val)
	}
	entry(0x010F, 2, uint32(len(exifCanary)+1), uint32(makeOff))
	entry(0x0112, 3, 1, uint32(orientation)<<16) // SHORT, left-justified
	entry(0x8825, 4, 1, uint32(gpsOff))
	binary.Write(&b, be, uint32(0))
	b.WriteString(makeVal)
	// GPS IFD: LatitudeRef "N", Latitude 35/1 41/1 22/1.
	const n1 = 2
	ratOff := gpsOff + 2 + 12*n1 + 4
	binary.Write(&b, be, uint16(n1))
	entry(0x0001, 2, 2, 'N'<<24)
	entry(0x0002, 5, 3, uint32(ratOff))
	binary.Write(&b, be, uint32(0))
	for _, v := range []uint32{35, 1, 41, 1, 22, 1} {
		binary.Write(&b, be, v)
	}
	return b.Bytes()
}

// withAPP1 inserts an Exif APP1 segment right after SOI.
func withAPP1(j, exif []byte) []byte {
	seg := append([]byte("Exif\x00\x00"), exif...)
	var b bytes.Buffer
	b.Write(j[:2])
	b.Write([]byte{0xFF, 0xE1})
	binary.Write(&b, binary.BigEndian, uint16(len(seg)+2))
	b.Write(seg)
	b.Write(j[2:])
	return b.Bytes()
}

// hugePNGHeader is a PNG whose IHDR announces w×h RGB with a tiny IDAT.
func hugePNGHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	b.Write(pngChunk("IHDR", ihdr))
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 64))
	zw.Close()
	b.Write(pngChunk("IDAT", z.Bytes()))
	b.Write(pngChunk("IEND", nil))
	return b.Bytes()
}

func reencode(t testing.TB, in []byte, lim Limits) (Result, []byte, error) {
	t.Helper()
	var out bytes.Buffer
	res, err := Reencode(context.Background(), bytes.NewReader(in), &out, lim)
	return res, out.Bytes(), err
}

func mustDecode(t testing.TB, b []byte) image.Image {
	t.Helper()
	var m image.Image
	var err error
	switch Sniff(b) {
	case FormatPNG:
		m, err = png.Decode(bytes.NewReader(b))
	case FormatJPEG:
		m, err = jpeg.Decode(bytes.NewReader(b))
	default:
		t.Fatalf("output is neither PNG nor JPEG: % x", b[:min(len(b), 8)])
	}
	if err != nil {
		t.Fatalf("output does not decode: %v", err)
	}
	return m
}

func assertSamePixels(t *testing.T, want, got image.Image) {
	t.Helper()
	if want.Bounds().Size() != got.Bounds().Size() {
		t.Fatalf("size %v, want %v", got.Bounds().Size(), want.Bounds().Size())
	}
	wb, gb := want.Bounds(), got.Bounds()
	for y := 0; y < wb.Dy(); y++ {
		for x := 0; x < wb.Dx(); x++ {
			w := color.NRGBA64Model.Convert(want.At(wb.Min.X+x, wb.Min.Y+y))
			g := color.NRGBA64Model.Convert(got.At(gb.Min.X+x, gb.Min.Y+y))
			if w != g {
				t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, g, w)
			}
		}
	}
}

func psnr(a, b image.Image) float64 {
	var se float64
	ab, bb := a.Bounds(), b.Bounds()
	n := 0
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			for _, d := range []float64{float64(r1>>8) - float64(r2>>8), float64(g1>>8) - float64(g2>>8), float64(b1>>8) - float64(b2>>8)} {
				se += d * d
				n++
			}
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(n)))
}

func TestReencodePNGPixelsEqual(t *testing.T) {
	src := testImage(64, 48)
	res, out, err := reencode(t, encodePNG(t, src), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res.InFormat != FormatPNG || res.OutFormat != FormatPNG || res.Width != 64 || res.Height != 48 {
		t.Fatalf("result %+v", res)
	}
	if res.Removed.Any() {
		t.Errorf("clean PNG reported removals: %+v", res.Removed)
	}
	if res.BytesOut != int64(len(out)) {
		t.Errorf("BytesOut %d, wrote %d", res.BytesOut, len(out))
	}
	assertSamePixels(t, src, mustDecode(t, out))
}

func TestPNGTextChunksAndTrailingDataRemoved(t *testing.T) {
	src := testImage(20, 10)
	secret := []byte("SECRET-AFTER-IEND<script>alert(1)</script>")
	in := insertBeforeIEND(t, encodePNG(t, src), [][]byte{
		pngChunk("tEXt", []byte("Comment\x00MUGAI-TEXT-CANARY")),
		pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta/>")),
		pngChunk("zTXt", []byte("Author\x00\x00x\x9c\x03\x00\x00\x00\x00\x01")),
	}, secret)
	res, out, err := reencode(t, in, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed.TextChunks != 2 || !res.Removed.XMP || res.Removed.TrailingBytes != int64(len(secret)) {
		t.Errorf("removed %+v", res.Removed)
	}
	for _, canary := range []string{"MUGAI-TEXT-CANARY", "SECRET-AFTER-IEND", "xmpmeta", "tEXt", "iTXt", "zTXt"} {
		if bytes.Contains(out, []byte(canary)) {
			t.Errorf("output contains %q", canary)
		}
	}
	if !bytes.HasSuffix(out, pngChunk("IEND", nil)) {
		t.Error("output does not end with IEND")
	}
	assertSamePixels(t, src, mustDecode(t, out))
	notes := res.Notes()
	if want := fmt.Sprintf("trailing %d bytes removed", len(secret)); len(notes) == 0 || notes[len(notes)-1] != want {
		t.Errorf("notes %q", notes)
	}
}

func TestJPEGExifGPSRemoved(t *testing.T) {
	src := testImage(80, 60)
	plain := encodeJPEG(t, src)
	trailer := []byte("PK\x03\x04hidden zip after EOI")
	in := append(withAPP1(plain, exifPayload(1)), trailer...)
	res, out, err := reencode(t, in, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res.InFormat != FormatJPEG || res.OutFormat != FormatJPEG {
		t.Fatalf("formats %s → %s", res.InFormat, res.OutFormat)
	}
	if !res.Removed.EXIF || !res.Removed.GPS || res.Removed.TrailingBytes != int64(len(trailer)) {
		t.Errorf("removed %+v", res.Removed)
	}
	for _, canary := range [][]byte{gpsIFDMarker, []byte(exifCanary), []byte("Exif\x00"), []byte("PK\x03\x04")} {
		if bytes.Contains(out, canary) {
			t.Errorf("output contains % x", canary)
		}
	}
	got := mustDecode(t, out)
	if got.Bounds().Dx() != 80 || got.Bounds().Dy() != 60 {
		t.Fatalf("size %v", got.Bounds())
	}
	orig, _ := jpeg.Decode(bytes.NewReader(plain))
	if p := psnr(orig, got); p < 30 {
		t.Errorf("PSNR %.1f dB < 30", p)
	}
	if want := []string{"EXIF/GPS removed", fmt.Sprintf("trailing %d bytes removed", len(trailer))}; len(res.Notes()) != 2 || res.Notes()[0] != want[0] || res.Notes()[1] != want[1] {
		t.Errorf("notes %q, want %q", res.Notes(), want)
	}
	if ja := res.NotesJA(); len(ja) != 2 || ja[0] != "Exif情報（GPS位置情報を含む）を削除しました" {
		t.Errorf("Japanese notes %q", ja)
	}
}

func TestPNGeXIfGPSRemoved(t *testing.T) {
	src := testImage(12, 9)
	in := insertBeforeIEND(t, encodePNG(t, src), [][]byte{pngChunk("eXIf", exifPayload(1))}, nil)
	res, out, err := reencode(t, in, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Removed.EXIF || !res.Removed.GPS {
		t.Errorf("removed %+v", res.Removed)
	}
	if bytes.Contains(out, gpsIFDMarker) || bytes.Contains(out, []byte(exifCanary)) {
		t.Error("Exif in output")
	}
	assertSamePixels(t, src, mustDecode(t, out))
}

func TestWebPTrailingBytesRemoved(t *testing.T) {
	w, err := os.ReadFile("testdata/gopher-doc.8bpp.lossless.webp")
	if err != nil {
		t.Fatal(err)
	}
	in := append(append([]byte{}, w...), "<?php system($_GET['c']); ?>"...)
	res, out, err := reencode(t, in, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed.TrailingBytes != 28 {
		t.Errorf("removed %+v", res.Removed)
	}
	if bytes.Contains(out, []byte("php")) {
		t.Error("trailing data in output")
	}
}

func TestJPEGExifOrientationApplied(t *testing.T) {
	src := testImage(40, 20)
	in := withAPP1(encodeJPEG(t, src), exifPayload(6)) // rotate 90° CW
	res, out, err := reencode(t, in, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Orientation != 6 || res.Width != 20 || res.Height != 40 {
		t.Fatalf("result %+v", res)
	}
	got := mustDecode(t, out)
	if got.Bounds().Dx() != 20 || got.Bounds().Dy() != 40 {
		t.Fatalf("size %v", got.Bounds())
	}
	// Top-left of the upright image is the source's bottom-left.
	r1, g1, _, _ := src.At(0, 19).RGBA()
	r2, g2, _, _ := got.At(0, 0).RGBA()
	if d := math.Abs(float64(r1>>8)-float64(r2>>8)) + math.Abs(float64(g1>>8)-float64(g2>>8)); d > 40 {
		t.Errorf("corner colour %d,%d want about %d,%d", r2>>8, g2>>8, r1>>8, g1>>8)
	}
}

func TestJPEGStrayBytesBetweenSegmentsTolerated(t *testing.T) {
	j := encodeJPEG(t, testImage(16, 16))
	// Two stray bytes after the first segment (DQT), before the next marker.
	end := 4 + int(binary.BigEndian.Uint16(j[4:]))
	in := append(append(append([]byte{}, j[:end]...), 0x00, 0x42), j[end:]...)
	res, out, err := reencode(t, in, Limits{})
	if err != nil {
		t.Fatalf("stray bytes refused: %v", err)
	}
	if res.Removed.OtherMetadata != 1 {
		t.Errorf("removed %+v", res.Removed)
	}
	mustDecode(t, out)
}

func TestDecompressionBombHeaderRefused(t *testing.T) {
	in := hugePNGHeader(100000, 100000)
	res, out, err := reencode(t, in, Limits{})
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want *LimitError", err)
	}
	if le.Limit != "width" || le.Value != 100000 {
		t.Errorf("limit error %+v", le)
	}
	if len(out) != 0 || res.OutFormat != "" {
		t.Errorf("wrote %d bytes", len(out))
	}
}

// TestPNGIDATBombBounded: a 100×100 header with an IDAT that inflates to
// 20 MiB. The decoder stops after the pixels the header allows, so the
// stream is not inflated and little memory is used.
func TestPNGIDATBombBounded(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 100)
	binary.BigEndian.PutUint32(ihdr[4:], 100)
	ihdr[8], ihdr[9] = 8, 2
	b.Write(pngChunk("IHDR", ihdr))
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zeros := make([]byte, 1<<20)
	for i := 0; i < 20; i++ {
		zw.Write(zeros)
	}
	zw.Close()
	b.Write(pngChunk("IDAT", z.Bytes()))
	b.Write(pngChunk("IEND", nil))
	in := b.Bytes()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, err := reencode(t, in, Limits{})
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Error("PNG with 20 MiB of pixel data for 100×100 accepted")
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20+uint64(len(in)) {
		t.Errorf("allocated %d bytes for a %d-byte bomb", alloc, len(in))
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name  string
		in    []byte
		lim   Limits
		limit string
	}{
		{"pixels", hugePNGHeader(20000, 20000), Limits{}, "pixels"},
		{"height", hugePNGHeader(10, 40000), Limits{}, "height"},
		{"input bytes", encodePNG(t, testImage(30, 30)), Limits{MaxInputBytes: 100}, "input bytes"},
		{"small pixel limit", encodePNG(t, testImage(30, 30)), Limits{MaxPixels: 899}, "pixels"},
		{"decoded bytes", encodePNG(t, testImage(30, 30)), Limits{MaxDecodedBytes: 1000}, "decoded bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := reencode(t, tt.in, tt.lim)
			var le *LimitError
			if !errors.As(err, &le) || le.Limit != tt.limit {
				t.Fatalf("err = %v, want limit %q", err, tt.limit)
			}
			if !IsLimit(err) {
				t.Error("IsLimit false")
			}
		})
	}
}

func TestTruncatedImagesRefused(t *testing.T) {
	j := encodeJPEG(t, testImage(64, 64))
	p := encodePNG(t, testImage(64, 64))
	tests := map[string][]byte{
		"jpeg half":    j[:len(j)/2],
		"jpeg no EOI":  j[:len(j)-2],
		"png half":     p[:len(p)/2],
		"png no IEND":  p[:len(p)-12],
		"jpeg SOI":     j[:4],
		"png sig only": p[:8],
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := reencode(t, in, Limits{})
			if err == nil {
				t.Fatal("truncated image accepted")
			}
		})
	}
}

func TestUnknownFormatRefused(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("hello"), []byte("%PDF-1.7\n")} {
		if _, _, err := reencode(t, in, Limits{}); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("%q: err = %v", in, err)
		}
	}
}

func TestOtherFormatsToPNG(t *testing.T) {
	src := testImage(33, 17)
	var tiffBuf, bmpBuf bytes.Buffer
	if err := tiff.Encode(&tiffBuf, src, &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatal(err)
	}
	if err := bmp.Encode(&bmpBuf, src); err != nil {
		t.Fatal(err)
	}
	webpLossless, err := os.ReadFile("testdata/gopher-doc.8bpp.lossless.webp")
	if err != nil {
		t.Fatal(err)
	}
	webpLossy, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		in     []byte
		format string
		exact  bool
	}{
		{"tiff", tiffBuf.Bytes(), FormatTIFF, true},
		{"bmp", bmpBuf.Bytes(), FormatBMP, true},
		{"webp lossless", webpLossless, FormatWebP, true},
		{"webp lossy", webpLossy, FormatWebP, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, out, err := reencode(t, tt.in, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if res.InFormat != tt.format || res.OutFormat != FormatPNG {
				t.Fatalf("%s → %s", res.InFormat, res.OutFormat)
			}
			want, err := decode(tt.format, bytes.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if res.Width != want.Bounds().Dx() || res.Height != want.Bounds().Dy() {
				t.Errorf("result %dx%d, want %v", res.Width, res.Height, want.Bounds().Size())
			}
			assertSamePixels(t, want, mustDecode(t, out))
		})
	}
}

func animatedGIF(t testing.TB, frames int) []byte {
	t.Helper()
	g := &gif.GIF{}
	for i := 0; i < frames; i++ {
		m := image.NewPaletted(image.Rect(0, 0, 16, 8), palette.Plan9)
		for x := 0; x < 16; x++ {
			m.SetColorIndex(x, i%8, uint8(10*i+x))
		}
		g.Image = append(g.Image, m)
		g.Delay = append(g.Delay, 10)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestAnimatedGIFFirstFrameOnly(t *testing.T) {
	in := animatedGIF(t, 3)
	res, out, err := reencode(t, in, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res.InFormat != FormatGIF || res.OutFormat != FormatPNG {
		t.Fatalf("%s → %s", res.InFormat, res.OutFormat)
	}
	if !res.FirstFrameOnly || res.Removed.ExtraFrames != 2 {
		t.Errorf("result %+v", res)
	}
	first, err := gif.Decode(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	assertSamePixels(t, first, mustDecode(t, out))
	if n := res.Notes(); len(n) != 1 || n[0] != "first frame kept, 2 more frames removed" {
		t.Errorf("notes %q", n)
	}
}

func TestAPNGFirstFrameOnly(t *testing.T) {
	src := testImage(10, 10)
	actl := []byte{0, 0, 0, 3, 0, 0, 0, 0} // 3 frames, loop forever
	in := insertBeforeIEND(t, encodePNG(t, src), [][]byte{pngChunk("acTL", actl), pngChunk("fcTL", make([]byte, 26))}, nil)
	res, out, err := reencode(t, in, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.FirstFrameOnly || res.Removed.ExtraFrames != 2 || res.Removed.OtherMetadata != 0 {
		t.Errorf("result %+v", res)
	}
	if bytes.Contains(out, []byte("acTL")) || bytes.Contains(out, []byte("fcTL")) {
		t.Error("animation chunks in output")
	}
	assertSamePixels(t, src, mustDecode(t, out))
}

func TestGIFTrailingAndCommentReported(t *testing.T) {
	in := animatedGIF(t, 1)
	// Insert a comment extension (GIF89a §24) after the global colour table,
	// then data after the trailer.
	p := 13
	if in[10]&0x80 != 0 {
		p += 3 << (in[10]&7 + 1)
	}
	var b bytes.Buffer
	b.Write(in[:p])
	b.Write([]byte{0x21, 0xFE, 5})
	b.WriteString("hello")
	b.WriteByte(0)
	b.Write(in[p:])
	b.WriteString("TRAILER")
	res, out, err := reencode(t, b.Bytes(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed.Comments != 1 || res.Removed.TrailingBytes != 7 || res.FirstFrameOnly {
		t.Errorf("result %+v", res)
	}
	if bytes.Contains(out, []byte("hello")) || bytes.Contains(out, []byte("TRAILER")) {
		t.Error("comment or trailer in output")
	}
}

func TestContextCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	_, err := Reencode(ctx, bytes.NewReader(encodePNG(t, testImage(8, 8))), &out, Limits{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func seeds(t testing.TB) [][]byte {
	j := encodeJPEG(t, testImage(16, 16))
	p := encodePNG(t, testImage(16, 16))
	var tb, bb bytes.Buffer
	tiff.Encode(&tb, testImage(9, 7), nil)
	bmp.Encode(&bb, testImage(9, 7))
	w, _ := os.ReadFile("testdata/gopher-doc.8bpp.lossless.webp")
	return [][]byte{
		j, p, tb.Bytes(), bb.Bytes(), w, animatedGIF(t, 2),
		withAPP1(j, exifPayload(6)),
		insertBeforeIEND(t, p, [][]byte{pngChunk("tEXt", []byte("a\x00b"))}, []byte("tail")),
		hugePNGHeader(100000, 100000),
		j[:len(j)/2],
	}
}

func FuzzReencode(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	lim := Limits{MaxPixels: 1 << 20, MaxInputBytes: 1 << 20, MaxDecodedBytes: 16 << 20}
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		res, err := Reencode(context.Background(), bytes.NewReader(in), &out, lim)
		if err != nil {
			return
		}
		if int64(res.Width)*int64(res.Height) > lim.MaxPixels {
			t.Fatalf("%dx%d over the pixel limit", res.Width, res.Height)
		}
		if Sniff(out.Bytes()) != res.OutFormat {
			t.Fatalf("output format %q, result says %q", Sniff(out.Bytes()), res.OutFormat)
		}
		m := mustDecode(t, out.Bytes())
		if m.Bounds().Dx() != res.Width || m.Bounds().Dy() != res.Height {
			t.Fatalf("output %v, result %dx%d", m.Bounds(), res.Width, res.Height)
		}
	})
}

func benchmarkReencode(b *testing.B, in []byte, px int) {
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Reencode(context.Background(), bytes.NewReader(in), discard{}, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(px)*float64(b.N)/1e6/b.Elapsed().Seconds(), "Mpx/s")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func BenchmarkReencodePNG(b *testing.B) {
	benchmarkReencode(b, encodePNG(b, testImage(1000, 1000)), 1e6)
}

func BenchmarkReencodeJPEG(b *testing.B) {
	benchmarkReencode(b, encodeJPEG(b, testImage(1000, 1000)), 1e6)
}
