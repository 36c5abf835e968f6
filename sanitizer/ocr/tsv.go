package ocr

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Word is one word Tesseract found: its text (valid UTF-8, no control
// characters), its box in the image's pixels (origin top left, y down),
// the line it belongs to (an index in the page's reading order, the same
// for every word of a line) and that line's box, whether that line runs
// top to bottom, and Tesseract's confidence from 0 to 100.
type Word struct {
	Text     string
	Box      image.Rectangle
	Line     int
	LineBox  image.Rectangle
	Vertical bool
	Conf     float64
}

// Limits bound the parsing of one page's TSV.
const (
	maxTSVBytes = 8 << 20
	maxWords    = 50_000
	maxWordLen  = 256 // bytes
)

// errTSV is wrapped by every refusal of Tesseract's output.
var errTSV = errors.New("ocr: bad tesseract output")

type lineKey struct{ page, block, par, line int }

// parseTSV reads Tesseract's TSV output (the tsv config, one header row,
// then tab-separated rows of twelve columns) into words in reading order.
// Rows of level 4 (lines) give the line boxes; rows of level 5 (words)
// the words. Empty words and words of confidence -1 are left out. Boxes
// are clipped to bounds; a word outside it is left out.
func parseTSV(b []byte, bounds image.Rectangle) ([]Word, error) {
	if len(b) > maxTSVBytes {
		return nil, fmt.Errorf("%w: %d bytes of TSV, above %d", errTSV, len(b), maxTSVBytes)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	lines := map[lineKey]int{}
	var boxes []image.Rectangle // line boxes by line index
	var words []Word
	row := 0
	for sc.Scan() {
		row++
		f := strings.Split(sc.Text(), "\t")
		if row == 1 {
			if len(f) != 12 || f[0] != "level" || f[11] != "text" {
				return nil, fmt.Errorf("%w: header %q", errTSV, sc.Text())
			}
			continue
		}
		if len(f) != 12 {
			return nil, fmt.Errorf("%w: row %d has %d columns", errTSV, row, len(f))
		}
		var n [10]int
		for i := range n {
			v, err := strconv.Atoi(f[i])
			if err != nil || v < -1 || v > 1<<24 {
				return nil, fmt.Errorf("%w: row %d column %d: %q", errTSV, row, i+1, f[i])
			}
			n[i] = v
		}
		box := image.Rect(n[6], n[7], n[6]+n[8], n[7]+n[9])
		key := lineKey{n[1], n[2], n[3], n[4]}
		switch n[0] {
		case 4:
			if _, ok := lines[key]; !ok {
				lines[key] = len(boxes)
				boxes = append(boxes, box)
			}
		case 5:
			conf, err := strconv.ParseFloat(f[10], 64)
			if err != nil || conf < -1 || conf > 100 {
				return nil, fmt.Errorf("%w: row %d confidence %q", errTSV, row, f[10])
			}
			text := strings.TrimSpace(f[11])
			if text == "" || conf < 0 {
				continue
			}
			if len(text) > maxWordLen || !utf8.ValidString(text) {
				return nil, fmt.Errorf("%w: row %d: word of %d bytes or not UTF-8", errTSV, row, len(text))
			}
			if strings.ContainsFunc(text, func(r rune) bool { return r < 0x20 || r == 0x7F }) {
				continue
			}
			box = box.Intersect(bounds)
			if box.Empty() {
				continue
			}
			li, ok := lines[key]
			if !ok {
				li = len(boxes)
				lines[key] = li
				boxes = append(boxes, box)
			}
			if len(words) >= maxWords {
				return nil, fmt.Errorf("%w: more than %d words", errTSV, maxWords)
			}
			words = append(words, Word{Text: text, Box: box, Line: li, Conf: conf})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", errTSV, err)
	}
	if row == 0 {
		return nil, fmt.Errorf("%w: empty", errTSV)
	}
	chars := map[int]int{}
	for _, w := range words {
		chars[w.Line] += utf8.RuneCountInString(w.Text)
	}
	for i := range words {
		lb := boxes[words[i].Line].Intersect(bounds)
		words[i].LineBox = lb
		words[i].Vertical = chars[words[i].Line] > 1 && lb.Dy() > 2*lb.Dx()
	}
	return words, nil
}
