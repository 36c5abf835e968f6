// Package verify is the second, independent check that every output of
// the sanitizer passes before it may leave: the content is detected again
// from scratch and must be of the kind the handler claimed, from the
// allow-list of kinds mugai writes, and must pass that kind's own check
// (PDF: no active content in any object or decoded stream; images: decode
// completely with nothing after the end marker; text: valid UTF-8 without
// control characters).
//
// The checks share no code with the handlers that built the outputs.
package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"unicode/utf8"

	"github.com/mugai-project/mugai/sanitizer/detect"
)

// Func checks one output of size bytes read through r.
type Func func(ctx context.Context, r io.ReaderAt, size int64) error

// Defaults returns the checks for the output kinds of the core pipeline.
// Other packages (office, archive, mail) add theirs.
func Defaults() map[detect.Kind]Func {
	return map[detect.Kind]Func{
		detect.PDF:  Kind(detect.PDF, PDFCheck(PDFOptions{})),
		detect.PNG:  Kind(detect.PNG, PNG),
		detect.JPEG: Kind(detect.JPEG, JPEG),
		detect.Text: Kind(detect.Text, Text),
		detect.CSV:  Kind(detect.CSV, Text),
		detect.TSV:  Kind(detect.TSV, Text),
	}
}

// Kind wraps check so that the output must first be re-detected as want.
// Text kinds are judged by the check alone, since a text output may look
// like a message, CSV or markup to the detector.
func Kind(want detect.Kind, check Func) Func {
	return func(ctx context.Context, r io.ReaderAt, size int64) error {
		if !want.IsText() {
			got := detect.Detect(r, size, "", "")
			if got.Kind != want {
				return fmt.Errorf("verify: output detected as %s, want %s", got.Kind, want)
			}
			if len(got.Findings) > 0 {
				return fmt.Errorf("verify: %s output: %s", want, got.Findings[0].Detail)
			}
		}
		return check(ctx, r, size)
	}
}

// PDFCheck returns the PDF check with options o as a Func.
func PDFCheck(o PDFOptions) Func {
	return func(ctx context.Context, r io.ReaderAt, size int64) error {
		_, err := o.Check(ctx, io.NewSectionReader(r, 0, size), size)
		return err
	}
}

// maxCheckBytes bounds how much of an image or text output is read into
// memory at once by the checks.
const maxCheckBytes = 512 << 20

var (
	pngEnd  = []byte{0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82}
	jpegEnd = []byte{0xFF, 0xD9}
)

// PNG checks a PNG output: it decodes completely and ends right after
// its IEND chunk.
func PNG(ctx context.Context, r io.ReaderAt, size int64) error {
	return imageCheck(png.Decode, pngEnd)(ctx, r, size)
}

// JPEG checks a JPEG output: it decodes completely and ends right at its
// EOI marker.
func JPEG(ctx context.Context, r io.ReaderAt, size int64) error {
	return imageCheck(jpeg.Decode, jpegEnd)(ctx, r, size)
}

// imageCheck decodes the whole image with the standard library and
// requires the file to end right at the format's end marker.
func imageCheck(decode func(io.Reader) (image.Image, error), end []byte) Func {
	return func(ctx context.Context, r io.ReaderAt, size int64) error {
		if size > maxCheckBytes {
			return fmt.Errorf("verify: image of %d bytes is too large to check", size)
		}
		if _, err := decode(io.NewSectionReader(r, 0, size)); err != nil {
			return fmt.Errorf("verify: image does not decode: %w", err)
		}
		tail := make([]byte, len(end))
		if _, err := r.ReadAt(tail, size-int64(len(end))); err != nil || !bytes.Equal(tail, end) {
			return errors.New("verify: image has bytes after its end marker")
		}
		return nil
	}
}

// Text requires valid UTF-8 with no C0 control characters other than
// TAB, CR and LF, and no DEL; and no EICAR test string (ErrEICAR).
func Text(ctx context.Context, r io.ReaderAt, size int64) error {
	sr := io.NewSectionReader(r, 0, size)
	// A buffer no larger than the text (plus one byte, for the EOF).
	buf := make([]byte, min(max(size, 0), 64<<10)+1)
	var carry []byte
	var off int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := sr.Read(buf)
		chunk := buf[:n]
		if len(carry) > 0 {
			chunk = append(carry, chunk...)
		}
		// Hold back an incomplete rune at the end of the chunk.
		cut := len(chunk)
		for i := 1; i <= utf8.UTFMax && i <= len(chunk); i++ {
			if utf8.RuneStart(chunk[len(chunk)-i]) {
				if !utf8.FullRune(chunk[len(chunk)-i:]) {
					cut = len(chunk) - i
				}
				break
			}
		}
		if err == io.EOF {
			cut = len(chunk)
		}
		if i := badText(chunk[:cut]); i >= 0 {
			return fmt.Errorf("verify: text output has an invalid byte at offset %d", off+int64(i))
		}
		off += int64(cut)
		carry = append(carry[:0:0], chunk[cut:]...)
		if err == io.EOF {
			return NoEICAR(io.NewSectionReader(r, 0, size))
		}
		if err != nil {
			return err
		}
	}
}

// NoEICAR returns ErrEICAR when r holds the EICAR test string, for the
// checks of formats that carry text (a document's parts).
func NoEICAR(r io.Reader) error {
	found, err := detect.HoldsEICAR(r)
	switch {
	case err != nil:
		return err
	case found:
		return ErrEICAR
	}
	return nil
}

// ErrEICAR is the error of a text check that found the EICAR test
// string, which a scanner on either side of the boundary would flag.
var ErrEICAR = errors.New("verify: the text holds the EICAR test string")

func badText(b []byte) int {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}
