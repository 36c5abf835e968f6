package ocr

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mugai-project/mugai/internal/bwrap"
)

// ErrUnavailable is wrapped when tesseract, its jpn model, bubblewrap or
// prlimit is missing, or the sandbox cannot start on this host. The
// caller turns it into a note on the report: the page keeps its image,
// without text.
var ErrUnavailable = errors.New("ocr: tesseract unavailable (Debian packages tesseract-ocr, tesseract-ocr-jpn, tesseract-ocr-jpn-vert, bubblewrap)")

// Options configure an Engine. The zero value finds tesseract on PATH,
// reads Japanese and English, and uses the default limits.
type Options struct {
	Tesseract string // default "tesseract" on PATH
	Languages string // Tesseract's -l; default "jpn+eng"
	// Vertical is Tesseract's -l for pages in vertical columns; default
	// "jpn_vert" (Debian tesseract-ocr-jpn-vert).
	Vertical string
	// Sandbox holds bubblewrap's and prlimit's paths, the work folders'
	// parent and the limits: Timeout is per run of tesseract, one a
	// page or two for a vertical one (default 60s),
	// MaxMemory defaults to 1 GiB, MaxFile to 64 MiB.
	Sandbox bwrap.Options
}

func (o Options) withDefaults() Options {
	if o.Tesseract == "" {
		o.Tesseract = "tesseract"
	}
	if o.Languages == "" {
		o.Languages = "jpn+eng"
	}
	if o.Vertical == "" {
		o.Vertical = "jpn_vert"
	}
	s := &o.Sandbox
	if s.Timeout <= 0 {
		s.Timeout = 60 * time.Second
	}
	if s.MaxMemory <= 0 {
		s.MaxMemory = 1 << 30
	}
	if s.MaxFile <= 0 {
		s.MaxFile = 64 << 20
	}
	// One thread per page: pages are read in parallel by the caller.
	s.Env = append(s.Env[:len(s.Env):len(s.Env)], "OMP_THREAD_LIMIT=1")
	return o
}

// Engine reads pages with a resolved tesseract in its sandbox. It is
// safe for concurrent use; each Page call is its own process.
type Engine struct {
	opts      Options
	sb        *bwrap.Sandbox
	tesseract string
}

// New resolves tesseract and the sandbox and checks that the sandbox
// starts.
func New(ctx context.Context, opts Options) (*Engine, error) {
	opts = opts.withDefaults()
	for _, l := range []string{opts.Languages, opts.Vertical} {
		if strings.ContainsAny(l, " /\t") || strings.HasPrefix(l, "-") {
			return nil, fmt.Errorf("ocr: bad language list %q", l)
		}
	}
	t, err := bwrap.Resolve(opts.Tesseract, "tesseract-ocr")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	sb, err := bwrap.New(opts.Sandbox)
	if err == nil {
		err = sb.Probe(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return &Engine{opts: opts, sb: sb, tesseract: t}, nil
}

// Page reads the text of img, rendered at dpi, and returns its words in
// reading order with boxes in img's pixels. A page laid out in vertical
// columns (縦書き) is read a second time with the vertical model
// (vertical.go).
func (e *Engine) Page(ctx context.Context, img image.Image, dpi int) ([]Word, error) {
	work, err := os.MkdirTemp(e.opts.Sandbox.TempDir, "mugai-ocr-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	if err := writePGM(filepath.Join(work, "scan.pgm"), img); err != nil {
		return nil, err
	}
	bounds := img.Bounds().Sub(img.Bounds().Min)
	dpi = max(dpi, 70)
	words, err := e.run(ctx, work, bounds, dpi, e.opts.Languages, psmAuto)
	if err != nil || !mostlyVertical(words) {
		return words, err
	}
	vert, err := e.run(ctx, work, bounds, dpi, e.opts.Vertical, psmVertical)
	if err != nil {
		return nil, err
	}
	return better(words, vert), nil
}

// Tesseract's page segmentation modes (--psm) used here.
const (
	psmAuto     = "3" // fully automatic layout analysis, no orientation detection
	psmVertical = "5" // one uniform block of vertically aligned text
)

// run reads work/scan.pgm with the models langs in the page segmentation
// mode psm.
func (e *Engine) run(ctx context.Context, work string, bounds image.Rectangle, dpi int, langs, psm string) ([]Word, error) {
	out := &bounded{max: maxTSVBytes}
	errOut := &bounded{max: 4 << 10}
	err := e.sb.RunTo(ctx, work, out, errOut, e.tesseract,
		"/work/scan.pgm", "stdout", "-l", langs, "--dpi", strconv.Itoa(dpi), "--psm", psm, "tsv")
	if err != nil {
		msg := strings.TrimSpace(errOut.String())
		switch {
		case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
			return nil, err
		case bwrap.IsRefusal(errOut.Bytes()), strings.Contains(msg, "Failed loading language"):
			return nil, fmt.Errorf("%w: %s", ErrUnavailable, firstLine(msg))
		}
		return nil, fmt.Errorf("ocr: tesseract failed: %v: %s", err, firstLine(msg))
	}
	if out.over {
		return nil, fmt.Errorf("%w: more than %d bytes of TSV", errTSV, maxTSVBytes)
	}
	return parseTSV(out.Bytes(), bounds)
}

// writePGM writes img as an 8-bit binary PGM (Netpbm P5), its luma.
func writePGM(path string, img image.Image) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	b := img.Bounds()
	w := bufio.NewWriterSize(f, 64<<10)
	fmt.Fprintf(w, "P5\n%d %d\n255\n", b.Dx(), b.Dy())
	row := make([]byte, b.Dx())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		if rgba, ok := img.(*image.RGBA); ok {
			p := rgba.Pix[rgba.PixOffset(b.Min.X, y):]
			for x := range row {
				r, g, bl := uint32(p[4*x]), uint32(p[4*x+1]), uint32(p[4*x+2])
				row[x] = uint8((19595*r + 38470*g + 7471*bl + 1<<15) >> 16)
			}
		} else {
			for x := range row {
				row[x] = color.GrayModel.Convert(img.At(b.Min.X+x, y)).(color.Gray).Y
			}
		}
		w.Write(row)
	}
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// bounded keeps the first max bytes written to it and notes more.
type bounded struct {
	bytes.Buffer
	max  int
	over bool
}

func (c *bounded) Write(p []byte) (int, error) {
	room := c.max - c.Len()
	if len(p) > room {
		c.over = true
	}
	if room > 0 {
		c.Buffer.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}
