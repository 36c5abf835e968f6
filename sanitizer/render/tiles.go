package render

import (
	"image"
)

// A page is looked at in tiles of tileSize × tileSize pixels (about 5 mm
// at 150 dpi) to find where it holds more than black text on white:
//
//   - colour: a pixel that is not neutral (its 4-bit components differ);
//   - continuous tone: many pixels that differ from their left or upper
//     neighbour by a little (1 to smoothStep of 255), as in photographs
//     and gradients, where four bits a component would band;
//   - gray that thresholding would visibly change: a run of at least
//     grayRun pixels, across or down, of one gray level between
//     lostMinLevel and 14 (of 15). Fills, shading and light rules make such
//     runs; the anti-aliased edges of glyphs change level every pixel or
//     two across a stroke, and where they run straight along it they have
//     the stroke on one side and the paper on the other.
//
// Measured on A4 pages at 150 dpi (tiles of 1024 pixels): text tiles, Latin
// and Japanese 9 to 10.5 pt, have at most 99 continuous-tone pixels and no
// gray run; a gradient over the page's height (230 levels in 1754 rows)
// 128 to 166; a photograph up to 1024. A gradient slower than that is not
// seen, and is stored with 4 bits a component (steps of 17 levels).
const (
	tileSize     = 32
	smoothStep   = 8
	smoothPixels = 128 // of tileSize², for a continuous-tone tile
	grayRun      = 32
	lostMinLevel = 3  // darker gray turns black as it looks
	lostPixels   = 16 // of tileSize², for a tile whose gray matters
	lightLevel   = 13 // and 14: gray that 2-bit gray would store as white
)

// tileKind flags what a tile holds.
type tileKind uint8

const (
	tileInk          tileKind = 1 << iota // anything but white
	tileColour                            // a pixel that is not neutral
	tileSmooth                            // continuous tone
	tileSmoothColour                      // continuous tone in colour
	tileGray                              // gray that thresholding would change
	tileLight                             // gray that 2-bit gray would drop
)

// tileMap is the tiles of one page, row by row.
type tileMap struct {
	cols, rows int
	kind       []tileKind
}

// count returns how many tiles have every flag of k.
func (m *tileMap) count(k tileKind) (n int) {
	for _, t := range m.kind {
		if t&k == k {
			n++
		}
	}
	return n
}

// anyOf reports whether some tile has one of the flags of k.
func (m *tileMap) anyOf(k tileKind) bool {
	for _, t := range m.kind {
		if t&k != 0 {
			return true
		}
	}
	return false
}

// mapTiles classifies the tiles of img, whose 12-bit colour codes (as in
// encodePage) are codes.
func mapTiles(img *image.RGBA, codes []uint16) *tileMap {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	m := &tileMap{cols: (w + tileSize - 1) / tileSize, rows: (h + tileSize - 1) / tileSize}
	m.kind = make([]tileKind, m.cols*m.rows)
	smooth := make([]uint16, len(m.kind))
	smoothColour := make([]uint16, len(m.kind))
	gray := make([]uint16, len(m.kind))
	light := make([]uint16, len(m.kind))
	level := func(x, y int) int {
		if x < 0 || y < 0 || x >= w || y >= h {
			return 15
		}
		return int(codes[y*w+x] & 15)
	}
	addRun := func(l uint16, x0, y0, x1, y1 int) { // inclusive ends
		// The edge of a stroke has darker pixels on one side and lighter
		// on the other; a fill, shading or a rule does not.
		xm, ym := (x0+x1)/2, (y0+y1)/2
		a, b := level(xm, ym-1), level(xm, ym+1)
		if x0 == x1 {
			a, b = level(xm-1, ym), level(xm+1, ym)
		}
		if lv := int(l); min(a, b) < lv && lv < max(a, b) && max(a, b)-min(a, b) >= 4 {
			return
		}
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				t := (y/tileSize)*m.cols + x/tileSize
				gray[t]++
				if l >= lightLevel {
					light[t]++
				}
			}
		}
	}
	// level of a code for gray runs: 0 (none) unless it is a neutral
	// level that thresholding would change.
	runLevel := func(c uint16) uint16 {
		l := c & 15
		if c>>8 != l || c>>4&15 != l || l < lostMinLevel || l == 15 {
			return 0
		}
		return l
	}
	colLevel := make([]uint16, w)
	colStart := make([]int, w)
	// open counts, per four columns, the gray runs down them not yet
	// ended, so that four white pixels in no run are passed at once.
	open := make([]uint8, (w+3)/4)
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		var up []byte
		if y > 0 {
			up = img.Pix[(y-1)*img.Stride : (y-1)*img.Stride+4*w]
		}
		cr := codes[y*w : (y+1)*w]
		tr := (y / tileSize) * m.cols
		runL, runStart := uint16(0), 0
		for x := 0; x < w; x++ {
			if x&3 == 0 && x+3 < w && runL == 0 && open[x>>2] == 0 && cr[x]&cr[x+1]&cr[x+2]&cr[x+3] == 0xfff {
				x += 3
				continue // four white pixels, in no run: most of a page
			}
			c := cr[x]
			if c == 0xfff && runL == 0 && colLevel[x] == 0 {
				continue // white, in no run
			}
			l := runLevel(c)
			if l != runL {
				if runL != 0 && x-runStart >= grayRun {
					addRun(runL, runStart, y, x-1, y)
				}
				runL, runStart = l, x
			}
			if cl := colLevel[x]; l != cl {
				if cl != 0 && y-colStart[x] >= grayRun {
					addRun(cl, x, colStart[x], x, y-1)
				}
				switch {
				case cl == 0:
					open[x>>2]++
				case l == 0:
					open[x>>2]--
				}
				colLevel[x], colStart[x] = l, y
			}
			if c == 0xfff {
				continue
			}
			t := tr + x/tileSize
			m.kind[t] |= tileInk
			colour := c>>8 != c>>4&15 || c>>4&15 != c&15
			if colour {
				m.kind[t] |= tileColour
			}
			p := row[4*x : 4*x+3]
			if x > 0 && smoothPair(p, row[4*x-4:]) || up != nil && smoothPair(p, up[4*x:]) {
				smooth[t]++
				if colour {
					smoothColour[t]++
				}
			}
		}
		if runL != 0 && w-runStart >= grayRun {
			addRun(runL, runStart, y, w-1, y)
		}
	}
	for x, cl := range colLevel {
		if cl != 0 && h-colStart[x] >= grayRun {
			addRun(cl, x, colStart[x], x, h-1)
		}
	}
	for t := range m.kind {
		if smooth[t] >= smoothPixels {
			m.kind[t] |= tileSmooth
		}
		if smoothColour[t] >= smoothPixels {
			m.kind[t] |= tileSmoothColour
		}
		if gray[t] >= lostPixels {
			m.kind[t] |= tileGray
		}
		if light[t] >= lostPixels {
			m.kind[t] |= tileLight
		}
	}
	return m
}

// smoothPair reports whether two pixels differ, by at most smoothStep on
// each of R, G and B.
func smoothPair(a, b []byte) bool {
	// As int, max has no branches either.
	d := max(int(absDiff(a[0], b[0])), int(absDiff(a[1], b[1])), int(absDiff(a[2], b[2])))
	return uint(d-1) < smoothStep // d ≥ 1: 0 wraps round
}
