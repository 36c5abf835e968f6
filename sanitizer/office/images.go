package office

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/mugai-project/mugai/sanitizer/archive/zipsafe"
	mimage "github.com/mugai-project/mugai/sanitizer/image"
)

// pngEncoder writes the PNG parts again, fast rather than small, from
// pooled buffers.
var pngEncoder = mimage.PNGEncoder(png.BestSpeed)

// reencodeImage decodes an image part and writes it again from its pixels
// in its declared format; metadata, trailing data and anything hidden in
// ancillary chunks are left behind. An image that does not decode is
// replaced by a one-pixel placeholder so that the document still opens.
func reencodeImage(p *pkg, op *outPart, w io.Writer, opts Options, removed map[string]int) error {
	img, err := decodeImage(p, op.f, opts.Limits)
	if err != nil {
		if errors.Is(err, ErrLimit) {
			return err
		}
		removed["unsupported-image"]++
		ph := image.NewGray(image.Rect(0, 0, 1, 1))
		ph.Set(0, 0, color.Gray{Y: 0xE0})
		img = ph
	}
	switch op.img {
	case "png":
		return pngEncoder.Encode(w, img)
	case "jpeg":
		return jpeg.Encode(w, img, &jpeg.Options{Quality: opts.JPEGQuality})
	case "gif":
		return gif.Encode(w, img, nil)
	}
	return fmt.Errorf("office: internal: image format %q", op.img)
}

func decodeImage(p *pkg, f *zipsafe.Entry, lim Limits) (image.Image, error) {
	rc, err := p.open(f)
	if err != nil {
		return nil, err
	}
	cfg, _, err := image.DecodeConfig(bufio.NewReader(rc))
	rc.Close()
	if err != nil {
		return nil, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > lim.MaxImagePixels {
		return nil, fmt.Errorf("%w: image %q is %dx%d pixels", ErrLimit, f.Name, cfg.Width, cfg.Height)
	}
	rc, err = p.open(f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	img, _, err := image.Decode(bufio.NewReader(rc))
	return img, err
}
