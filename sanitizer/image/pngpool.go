package image

import (
	"image/png"
	"sync"
)

// PNGEncoder returns an encoder at level whose buffers (above all the
// deflate compressor, about 1 MiB to set up) are taken from a pool of its
// own instead of being made anew for each image. It is safe for
// concurrent use: each Encode takes its own buffer. Keep one per level
// (a buffer's compressor is made for the level it was first used at).
func PNGEncoder(level png.CompressionLevel) *png.Encoder {
	return &png.Encoder{CompressionLevel: level, BufferPool: &pngBuffers{}}
}

// pngEncoder re-encodes every PNG.
var pngEncoder = PNGEncoder(png.DefaultCompression)

// pngBuffers is a png.EncoderBufferPool over a sync.Pool.
type pngBuffers struct{ p sync.Pool }

func (b *pngBuffers) Get() *png.EncoderBuffer {
	eb, _ := b.p.Get().(*png.EncoderBuffer)
	return eb // nil: the encoder makes one
}

func (b *pngBuffers) Put(eb *png.EncoderBuffer) { b.p.Put(eb) }
