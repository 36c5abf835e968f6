package image_test

import (
	"bytes"
	"context"
	goimage "image"
	"image/color"
	"image/png"
	"io"
	"testing"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/image"
)

// These tests run images through the engine with the image handlers and
// verifiers installed, as mugai does.

func newEngine(t *testing.T) *sanitizer.Engine {
	t.Helper()
	e, err := sanitizer.New(sanitizer.Options{
		TempDir:   t.TempDir(),
		Handlers:  image.Handlers(image.Limits{}),
		Verifiers: image.Verifiers(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := goimage.NewRGBA(goimage.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{200, 10, 10, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSanitizeImageRebuilt(t *testing.T) {
	e := newEngine(t)
	in := append(pngBytes(t), []byte("<script>trailing payload</script>")...)
	res := run(t, e, "photo.png", in)
	rep := res.Report
	if rep.Withheld || len(res.Outputs) != 1 {
		t.Fatalf("report %+v", rep)
	}
	out := readAll(t, res.Outputs[0])
	if bytes.Equal(out, in) || bytes.Contains(out, []byte("<script>")) {
		t.Fatal("output carries the input's trailing bytes")
	}
	if rep.Action != sanitizer.Reencode || rep.Outputs[0].SHA256 == rep.SHA256 {
		t.Errorf("action %s, hashes in %s out %s", rep.Action, rep.SHA256, rep.Outputs[0].SHA256)
	}
	if !hasRemoval(rep, "trailing-bytes") {
		t.Errorf("removed %v lacks trailing-bytes", rep.Removed)
	}
}

func run(t *testing.T, e *sanitizer.Engine, name string, data []byte) *sanitizer.Result {
	t.Helper()
	res, err := e.Sanitize(context.Background(), sanitizer.Input{Name: name, Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("Sanitize(%s): %v", name, err)
	}
	t.Cleanup(func() { res.Close() })
	return res
}

func readAll(t *testing.T, o *sanitizer.Output) []byte {
	t.Helper()
	b, err := io.ReadAll(o.Open())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hasRemoval(r *sanitizer.Report, what string) bool {
	for _, rm := range r.Removed {
		if rm.What == what && rm.Count > 0 {
			return true
		}
	}
	return false
}
