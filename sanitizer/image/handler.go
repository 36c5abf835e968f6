package image

import (
	"context"
	"fmt"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
	"github.com/mugai-project/mugai/sanitizer/verify"
)

// Handlers returns the engine handlers for PNG, JPEG, GIF, BMP, TIFF and
// WebP, which re-encode each image from its pixels (JPEG as JPEG,
// everything else as PNG) and count what was left behind. lim bounds each
// image; the job's policy sets its MaxInputBytes (the item size limit),
// MaxPixels and JPEGQuality.
func Handlers(lim Limits) map[detect.Kind]sanitizer.Handler {
	h := &handler{lim: lim}
	m := map[detect.Kind]sanitizer.Handler{}
	for _, k := range []detect.Kind{detect.PNG, detect.JPEG, detect.GIF, detect.BMP, detect.TIFF, detect.WebP} {
		m[k] = sanitizer.HandlerFunc(h.act)
	}
	return m
}

// Verifiers returns the independent checks for the output kinds, PNG and
// JPEG: each must decode completely and end at its end marker.
func Verifiers() map[detect.Kind]verify.Func {
	return map[detect.Kind]verify.Func{
		detect.PNG:  verify.Kind(detect.PNG, verify.PNG),
		detect.JPEG: verify.Kind(detect.JPEG, verify.JPEG),
	}
}

type handler struct{ lim Limits }

func (h *handler) act(ctx context.Context, job *sanitizer.Job) error {
	ext, kind, want := ".png", detect.PNG, FormatPNG
	if job.Kind == detect.JPEG {
		ext, kind, want = ".jpg", detect.JPEG, FormatJPEG
	}
	out := job.Create(ext, kind)
	lim := h.lim
	lim.MaxInputBytes = job.Policy.Limits.MaxInputBytes
	lim.MaxPixels = job.Policy.Image.MaxPixels
	lim.JPEGQuality = job.Policy.Image.JPEGQuality
	res, err := Reencode(ctx, job.Input.Open(), out, lim)
	switch {
	case IsLimit(err):
		return sanitizer.Withhold(sanitizer.ReasonLimit, err)
	case err != nil:
		return sanitizer.Withhold(sanitizer.ReasonMalformed, err)
	}
	if res.OutFormat != want {
		return sanitizer.Withhold(sanitizer.ReasonInternal, fmt.Errorf("image re-encoded as %s, want %s", res.OutFormat, kind))
	}
	rm := res.Removed
	job.Removed("exif", b2i(rm.EXIF))
	job.Removed("gps", b2i(rm.GPS))
	job.Removed("xmp", b2i(rm.XMP))
	job.Removed("icc", b2i(rm.ICC))
	job.Removed("iptc", b2i(rm.IPTC))
	job.Removed("text-chunk", rm.TextChunks)
	job.Removed("comment", rm.Comments)
	job.Removed("metadata", rm.OtherMetadata)
	job.Removed("trailing-bytes", int(min(rm.TrailingBytes, 1<<30)))
	job.Removed("frame", rm.ExtraFrames)
	for _, n := range res.Notes() {
		job.Note(n)
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
