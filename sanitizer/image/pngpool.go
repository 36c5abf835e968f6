package image

import (
	"image/png"
	"sync"
)

// pngEncoder re-encodes every PNG. Its buffers (above all the deflate
// compressor, about 1 MiB to set up) are taken from a pool instead of
// being made anew for each image. An Encoder with a BufferPool is safe
// for concurrent use: each Encode takes its own buffer.
var pngEncoder = png.Encoder{CompressionLevel: png.DefaultCompression, BufferPool: &pngBuffers{}}

// pngBuffers is a png.EncoderBufferPool over a sync.Pool.
type pngBuffers struct{ p sync.Pool }

func (b *pngBuffers) Get() *png.EncoderBuffer {
	eb, _ := b.p.Get().(*png.EncoderBuffer)
	return eb // nil: the encoder makes one
}

func (b *pngBuffers) Put(eb *png.EncoderBuffer) { b.p.Put(eb) }
