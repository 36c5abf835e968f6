// Package image re-encodes raster images from decoded pixels, so that the
// output is an image mugai itself wrote and never a byte copy of the input.
//
// Accepted inputs are PNG (ISO/IEC 15948, W3C PNG 3rd edition), JPEG (ITU-T
// T.81 with JFIF/Exif framing), GIF (GIF89a), BMP, TIFF (TIFF 6.0) and WebP
// (RFC 9649). Every input is written back as PNG, except JPEG input, which is
// written back as baseline JPEG so that photographs do not grow tenfold.
//
// Because the output is rebuilt from pixels, everything that is not pixels is
// gone by construction: Exif (with its GPS IFD and thumbnails), XMP, ICC
// profiles, IPTC, PNG text chunks, comments, GIF application extensions and
// any bytes after the end of the image. Before decoding, the container is
// walked once to report what was there, so the item report can say for
// example "EXIF/GPS removed" or "trailing 123 bytes removed".
//
// Memory is bounded: the input is read at most once into memory up to
// Limits.MaxInputBytes, and the dimensions from the header (DecodeConfig)
// are checked against Limits before any pixel buffer is allocated, which
// refuses decompression bombs that announce huge dimensions. A bomb that
// announces small dimensions but carries a huge compressed stream is bounded
// by the decoders, which never produce more pixels than the header allows.
//
// Divergences, on purpose:
//   - GIF: only the first frame is kept (animation is dropped); the frame is
//     drawn on the logical screen. Result.FirstFrameOnly says so.
//   - TIFF: only the first image (IFD) is kept; further pages are reported.
//   - APNG: the default image (the IDAT stream) is kept, the animation
//     dropped and reported like a GIF's.
//   - The Exif Orientation tag (Exif 2.32 §4.6.4 A, tag 0x0112) is applied to
//     the pixels before it is dropped, so a photograph taken on a phone keeps
//     its upright look; Width and Height in Result are the output's.
//   - Colour profiles are dropped, not converted: an image in a wide-gamut
//     or CMYK profile may look slightly different.
package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// Format names used in Result.
const (
	FormatPNG  = "png"
	FormatJPEG = "jpeg"
	FormatGIF  = "gif"
	FormatBMP  = "bmp"
	FormatTIFF = "tiff"
	FormatWebP = "webp"
)

// Limits bounds the work done on one image. The zero value means defaults.
type Limits struct {
	// MaxInputBytes is the largest encoded input accepted. Default 64 MiB.
	MaxInputBytes int64
	// MaxPixels is the largest width×height accepted. Default 50 megapixels.
	MaxPixels int64
	// MaxWidth and MaxHeight bound each side. Default 30000.
	MaxWidth, MaxHeight int
	// MaxDecodedBytes bounds the estimated size of the decoded pixel buffer
	// (pixels × bytes per pixel of the decoder's colour model). Default 512 MiB.
	MaxDecodedBytes int64
	// JPEGQuality is the quality of JPEG output, 1–100. Default 90.
	JPEGQuality int
}

func (l Limits) withDefaults() Limits {
	if l.MaxInputBytes <= 0 {
		l.MaxInputBytes = 64 << 20
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = 50_000_000
	}
	if l.MaxWidth <= 0 {
		l.MaxWidth = 30000
	}
	if l.MaxHeight <= 0 {
		l.MaxHeight = 30000
	}
	if l.MaxDecodedBytes <= 0 {
		l.MaxDecodedBytes = 512 << 20
	}
	if l.JPEGQuality <= 0 || l.JPEGQuality > 100 {
		l.JPEGQuality = 90
	}
	return l
}

// LimitError reports that an image exceeds one of the Limits. The image is
// refused before its pixels are decoded.
type LimitError struct {
	Limit string // "input bytes", "pixels", "width", "height", "decoded bytes"
	Value int64  // what the input has or announces
	Max   int64  // the configured limit
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("image: %s %d exceeds limit %d", e.Limit, e.Value, e.Max)
}

// IsLimit reports whether err is or wraps a *LimitError.
func IsLimit(err error) bool {
	var le *LimitError
	return errors.As(err, &le)
}

// ErrUnknownFormat is returned when the input is none of the accepted formats.
var ErrUnknownFormat = errors.New("image: unknown or unsupported image format")

// Sniff returns the format of an encoded image from its first bytes, or "".
func Sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return FormatPNG
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return FormatJPEG
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return FormatGIF
	case bytes.HasPrefix(b, []byte("BM")):
		return FormatBMP
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return FormatTIFF
	case len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP")):
		return FormatWebP
	}
	return ""
}

// Reencode reads one image from r, checks it against lim, decodes it and
// writes a new PNG or JPEG to w. On error nothing usable has been written
// (w may hold a partial stream that the caller must discard).
func Reencode(ctx context.Context, r io.Reader, w io.Writer, lim Limits) (Result, error) {
	lim = lim.withDefaults()
	var res Result
	if err := ctx.Err(); err != nil {
		return res, err
	}
	data, err := readLimited(ctx, r, lim.MaxInputBytes)
	if err != nil {
		return res, err
	}
	res.BytesIn = int64(len(data))
	res.InFormat = Sniff(data)
	if res.InFormat == "" {
		return res, ErrUnknownFormat
	}

	// Walk the container: what metadata, how many frames, trailing bytes.
	info, err := scan(res.InFormat, data)
	if err != nil {
		return res, err
	}
	res.Removed = info.removed

	// Dimensions before pixels.
	cfg, err := decodeConfig(res.InFormat, bytes.NewReader(data))
	if err != nil {
		return res, fmt.Errorf("image: %s header: %w", res.InFormat, err)
	}
	if err := checkConfig(cfg, res.InFormat, lim); err != nil {
		return res, err
	}
	if o := info.orientation; o >= 2 && o <= 8 {
		// Turning the image needs a second buffer of 4 bytes a pixel and a
		// copy in NRGBA form.
		px := int64(cfg.Width) * int64(cfg.Height)
		if est := px * (bytesPerPixel(cfg.ColorModel) + 8); est > lim.MaxDecodedBytes {
			return res, &LimitError{Limit: "decoded bytes", Value: est, Max: lim.MaxDecodedBytes}
		}
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}

	img, err := decode(res.InFormat, &ctxReader{ctx: ctx, r: bytes.NewReader(data)})
	if err != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		return res, fmt.Errorf("image: decoding %s: %w", res.InFormat, err)
	}
	// The decoded image must be what the header announced (a decoder that
	// disagrees with its own header is a bug we do not want to rely on).
	b := img.Bounds()
	if res.InFormat == FormatGIF {
		img = gifCanvas(img, cfg)
		b = img.Bounds()
		if info.frames > 1 {
			res.FirstFrameOnly = true
			res.Removed.ExtraFrames = info.frames - 1
		}
	}
	if (res.InFormat == FormatTIFF || res.InFormat == FormatPNG) && info.frames > 1 {
		res.FirstFrameOnly = true
		res.Removed.ExtraFrames = info.frames - 1
	}
	if b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return res, fmt.Errorf("image: decoded %dx%d but header says %dx%d", b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	if info.orientation >= 2 && info.orientation <= 8 {
		img = orient(img, info.orientation)
		res.Orientation = info.orientation
		b = img.Bounds()
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}

	cw := &countWriter{ctx: ctx, w: w}
	if res.InFormat == FormatJPEG {
		res.OutFormat = FormatJPEG
		err = jpeg.Encode(cw, img, &jpeg.Options{Quality: lim.JPEGQuality})
	} else {
		res.OutFormat = FormatPNG
		err = pngEncoder.Encode(cw, img)
	}
	res.BytesOut = cw.n
	if err != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		return res, fmt.Errorf("image: encoding %s: %w", res.OutFormat, err)
	}
	res.Width, res.Height = b.Dx(), b.Dy()
	return res, nil
}

func checkConfig(cfg image.Config, format string, lim Limits) error {
	w, h := int64(cfg.Width), int64(cfg.Height)
	if w <= 0 || h <= 0 {
		return fmt.Errorf("image: empty image %dx%d", w, h)
	}
	if w > int64(lim.MaxWidth) {
		return &LimitError{Limit: "width", Value: w, Max: int64(lim.MaxWidth)}
	}
	if h > int64(lim.MaxHeight) {
		return &LimitError{Limit: "height", Value: h, Max: int64(lim.MaxHeight)}
	}
	px := w * h
	if px > lim.MaxPixels {
		return &LimitError{Limit: "pixels", Value: px, Max: lim.MaxPixels}
	}
	bpp := bytesPerPixel(cfg.ColorModel)
	if format == FormatGIF {
		bpp += 4 // a first frame smaller than the screen is drawn on an NRGBA canvas
	}
	if est := px * bpp; est > lim.MaxDecodedBytes {
		return &LimitError{Limit: "decoded bytes", Value: est, Max: lim.MaxDecodedBytes}
	}
	return nil
}

// bytesPerPixel estimates the decoded buffer's cost of one pixel. Unknown
// models are assumed 8 bytes (RGBA64), the largest the decoders make.
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel:
		return 4
	case color.YCbCrModel, color.NYCbCrAModel:
		return 3
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}

func decodeConfig(format string, r io.Reader) (image.Config, error) {
	switch format {
	case FormatPNG:
		return png.DecodeConfig(r)
	case FormatJPEG:
		return jpeg.DecodeConfig(r)
	case FormatGIF:
		return gif.DecodeConfig(r)
	case FormatBMP:
		return bmp.DecodeConfig(r)
	case FormatTIFF:
		return tiff.DecodeConfig(r)
	case FormatWebP:
		return webp.DecodeConfig(r)
	}
	return image.Config{}, ErrUnknownFormat
}

// decode calls the format's decoder directly, not image.Decode, so that
// nothing depends on which decoders some other package registered.
func decode(format string, r io.Reader) (image.Image, error) {
	switch format {
	case FormatPNG:
		return png.Decode(r)
	case FormatJPEG:
		return jpeg.Decode(r)
	case FormatGIF:
		return gif.Decode(r) // first frame only
	case FormatBMP:
		return bmp.Decode(r)
	case FormatTIFF:
		return tiff.Decode(r) // first IFD only
	case FormatWebP:
		return webp.Decode(r)
	}
	return nil, ErrUnknownFormat
}

// gifCanvas draws the first frame on the logical screen, as a viewer shows
// it; frames may be smaller than the screen and offset.
func gifCanvas(img image.Image, cfg image.Config) image.Image {
	screen := image.Rect(0, 0, cfg.Width, cfg.Height)
	if img.Bounds() == screen {
		return img
	}
	canvas := image.NewNRGBA(screen)
	draw.Draw(canvas, img.Bounds().Intersect(screen), img, img.Bounds().Min, draw.Src)
	return canvas
}

func readLimited(ctx context.Context, r io.Reader, max int64) ([]byte, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, &ctxReader{ctx: ctx, r: io.LimitReader(r, max+1)})
	if err != nil {
		return nil, err
	}
	if n > max {
		return nil, &LimitError{Limit: "input bytes", Value: n, Max: max}
	}
	return buf.Bytes(), nil
}

// ctxReader stops reading when ctx is done. It forwards ReadAt when the
// underlying reader has it, so the TIFF decoder does not copy the input.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (c *ctxReader) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	ra, ok := c.r.(io.ReaderAt)
	if !ok {
		return 0, errors.New("image: ReadAt not supported")
	}
	return ra.ReadAt(p, off)
}

type countWriter struct {
	ctx context.Context
	w   io.Writer
	n   int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
