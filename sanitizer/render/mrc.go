package render

import (
	"errors"
	"image"
)

// A page of black text with a few places in colour or gray (a red seal, a
// logo, a shaded table header, a small photograph) is stored in layers, as
// in mixed raster content (ITU-T T.44): each place is its own image, stored
// as its pixels need (encodeWhole), drawn at its position; over them the
// rest of the page, black and white, CCITT G4, drawn as a stencil mask
// (ISO 32000-1 §8.9.6.2) that paints black where the text is and leaves
// everything else as it is. The places are blank in the mask, so that only
// their image shows there.
//
// Measured at 150 dpi: an A4 page of 10.5 pt Japanese text with a red seal
// takes 54 KB so (the seal, 160 × 160 pixels, 2 KB) against 158 KB as one
// palette image. A page of text with a shaded table is smaller whole (19 KB
// of 2-bit gray whose levels keep the fills): whichever is smaller is kept.

// mrcMaxShare is the largest part of the page that the boxes of the places
// may cover; more is stored whole. mrcMinPixels is the smallest page
// worth layering: each place costs about 300 bytes of PDF objects.
const (
	mrcMaxShare  = 0.2
	mrcMinPixels = 500 * 500
)

// encodeLayered stores the page as a G4 mask over images of its places
// with colour, continuous tone or gray, or returns nil if it has too many
// such places or its black and white part does not code well as G4.
func encodeLayered(img *image.RGBA, codes []uint16, tiles *tileMap, opt encodeOptions) (*encodedPage, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w*h < mrcMinPixels {
		return nil, nil
	}
	places := tiles.places(tileColour|tileSmooth|tileGray, w, h)
	area := 0
	for _, r := range places {
		area += r.Dx() * r.Dy()
	}
	if float64(area) > mrcMaxShare*float64(w*h) {
		return nil, nil
	}

	cp := codesPool.Get().(*[]uint16)
	defer codesPool.Put(cp)
	base := append((*cp)[:0], codes...)
	*cp = base
	for _, r := range places {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			row := base[y*w+r.Min.X : y*w+r.Max.X]
			for x := range row {
				row[x] = 0xfff
			}
		}
	}
	e, err := encodeG4(base, w, h, opt.bilevelScale)
	switch {
	case errors.Is(err, errTooBig):
		return nil, nil // noise: stored whole
	case err != nil:
		return nil, err
	}
	e.enc = EncLayered
	e.img.ColorSpace, e.img.Mask = "", true
	for _, r := range places {
		sub := img.SubImage(r.Add(img.Rect.Min)).(*image.RGBA)
		// Without G4: each place is stored whole.
		pe, err := encodePage(sub, encodeOptions{grayBits: opt.grayBits})
		if err != nil {
			e.free()
			return nil, err
		}
		e.bufs = append(e.bufs, pe.bufs...)
		e.regions = append(e.regions, placedImage{pdfImage: pe.img, Rect: r})
		e.quality = max(e.quality, pe.quality)
	}
	return e, nil
}

// places returns the bounding boxes, in pixels of a w × h page, of the
// groups of touching tiles (across, down or diagonally) with a flag of k.
func (m *tileMap) places(k tileKind, w, h int) []image.Rectangle {
	seen := make([]bool, len(m.kind))
	var out []image.Rectangle
	var stack []int
	for start, t := range m.kind {
		if t&k == 0 || seen[start] {
			continue
		}
		seen[start] = true
		stack = append(stack[:0], start)
		c0, r0 := start%m.cols, start/m.cols
		box := image.Rect(c0, r0, c0+1, r0+1)
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			c, r := i%m.cols, i/m.cols
			box = box.Union(image.Rect(c, r, c+1, r+1))
			for dr := -1; dr <= 1; dr++ {
				for dc := -1; dc <= 1; dc++ {
					nc, nr := c+dc, r+dr
					if nc < 0 || nr < 0 || nc >= m.cols || nr >= m.rows {
						continue
					}
					if j := nr*m.cols + nc; !seen[j] && m.kind[j]&k != 0 {
						seen[j] = true
						stack = append(stack, j)
					}
				}
			}
		}
		px := image.Rect(box.Min.X*tileSize, box.Min.Y*tileSize, box.Max.X*tileSize, box.Max.Y*tileSize)
		out = append(out, px.Intersect(image.Rect(0, 0, w, h)))
	}
	return mergeOverlaps(out)
}

// mergeOverlaps replaces boxes that overlap by their union until none do.
func mergeOverlaps(rs []image.Rectangle) []image.Rectangle {
	for merged := true; merged; {
		merged = false
		for i := 0; i < len(rs); i++ {
			for j := i + 1; j < len(rs); j++ {
				if rs[i].Overlaps(rs[j]) {
					rs[i] = rs[i].Union(rs[j])
					rs = append(rs[:j], rs[j+1:]...)
					j--
					merged = true
				}
			}
		}
	}
	return rs
}
