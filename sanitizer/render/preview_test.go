package render

import (
	"bytes"
	"image"
	"testing"
)

// TestFirstPageOfLayeredOutput: the preview of a flattened page stored
// in layers (black text as a G4 mask over a colour region) shows both
// layers, as the input's own first page looks: the red seal is red and
// the text is dark, at the width asked for.
func TestFirstPageOfLayeredOutput(t *testing.T) {
	p := testPool(t)
	in := sizedJapanesePDF(t, 10.5, true)
	out, _ := flatten(t, p, in, Limits{})
	if !bytes.Contains(out, []byte("/ImageMask true")) {
		t.Fatal("the flattened page is not stored in layers; the test needs one that is")
	}
	const width = 400
	got, err := p.FirstPage(t.Context(), bytes.NewReader(out), int64(len(out)), width)
	if err != nil {
		t.Fatal(err)
	}
	want, err := p.FirstPage(t.Context(), bytes.NewReader(in), int64(len(in)), width)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rect != want.Rect || got.Rect.Dx() != width {
		t.Fatalf("preview %v, input's first page %v, want %d across", got.Rect, want.Rect, width)
	}
	// The seal: a red ring of radius 30 pt around (500, 80) from the
	// bottom left of the page, with 印 inside.
	px := func(pt float64) int { return int(pt * width / 595) }
	seal := image.Rect(px(460), got.Rect.Dy()-px(120), px(540), got.Rect.Dy()-px(40))
	if r, w := redPixels(got, seal), redPixels(want, seal); w == 0 || r < w/2 {
		t.Errorf("%d red pixels in the seal's square in the preview, %d on the input's page", r, w)
	}
	if d := meanDiff(got, want); d > 12 {
		t.Errorf("the preview differs from the input's first page by %.1f per channel on average", d)
	}
	if dark := darkShare(got, image.Rect(40, 40, width-40, got.Rect.Dy()/3)); dark < 0.02 {
		t.Errorf("%.3f of the text area is dark in the preview: the text layer is missing", dark)
	}
}

func meanDiff(a, b *image.RGBA) float64 {
	var sum int64
	for i := range a.Pix {
		d := int64(a.Pix[i]) - int64(b.Pix[i])
		sum += max(d, -d)
	}
	return float64(sum) / float64(len(a.Pix))
}

func darkShare(m *image.RGBA, r image.Rectangle) float64 {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if c := m.RGBAAt(x, y); int(c.R)+int(c.G)+int(c.B) < 300 {
				n++
			}
		}
	}
	return float64(n) / float64(r.Dx()*r.Dy())
}

func redPixels(m *image.RGBA, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if c := m.RGBAAt(x, y); c.R > 150 && c.G < 110 && c.B < 110 {
				n++
			}
		}
	}
	return n
}
