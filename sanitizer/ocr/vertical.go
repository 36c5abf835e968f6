package ocr

import "unicode/utf8"

// How a page in vertical columns (縦書き: municipal notices, 広報, official
// letters) is read. Tesseract's orientation and script detection (OSD)
// does not know Japanese, and its jpn model reads vertical columns as
// noise, so each page is first read as it always was (jpn+eng, automatic
// layout, --psm 3) and, only where that reading's layout is mostly
// vertical, read again with the vertical model (jpn_vert) as one block of
// vertical columns (--psm 5); the reading that is expected to give more
// characters right (the sum over its characters of Tesseract's
// confidence) is kept.
//
// Measured on A4 pages of 12 pt IPA Gothic at 150 and 300 dpi (the
// ocrtest pages; tesseract 5.3 and the Debian models):
//
//   - jpn+eng, --psm 3 reads a horizontal page right (100% at 150 dpi)
//     and a vertical one as noise (0% in order, mean confidence 24 to 44),
//     yet lays the vertical one out as vertical lines (88 to 96% of its
//     characters), and the horizontal one with none: the layout is a
//     safe trigger, and a horizontal page costs what it did, one run.
//   - jpn_vert, --psm 5 reads the vertical page right (100% at 150 dpi,
//     98.9% at 300 dpi, mean confidence 92 to 94) but a horizontal page
//     as columns with a high confidence (mean 82 to 85, 12% in order):
//     confidence alone cannot tell the two, so it is never run where the
//     first reading is horizontal.
//   - jpn+eng+jpn_vert (or jpn_vert) with --psm 3, which would be one run,
//     reads the vertical page at 150 dpi (98.9%) but not at 300 dpi (0 to
//     2%): Tesseract's own vertical layout is not dependable enough.
//
// Where it falls short: a page of vertical columns in several tiers
// (段組) is read by --psm 5 as columns from the top of the page to the
// bottom, each tier's column followed by the one under it; a page whose
// horizontal and vertical text are about even keeps one reading for all.

// verticalShare is the share of a reading's characters on vertical lines
// from which the page is read again as vertical.
const verticalShare = 0.5

// mostlyVertical tells whether most of the characters of words lie on
// vertical lines.
func mostlyVertical(words []Word) bool {
	var all, vert int
	for _, w := range words {
		n := utf8.RuneCountInString(w.Text)
		all += n
		if w.Vertical {
			vert += n
		}
	}
	return all > 0 && float64(vert) >= verticalShare*float64(all)
}

// better returns the reading, a or b, expected to give more characters
// right: the greater sum of each character's confidence; a on a tie.
func better(a, b []Word) []Word {
	if expected(b) > expected(a) {
		return b
	}
	return a
}

func expected(words []Word) float64 {
	var sum float64
	for _, w := range words {
		sum += w.Conf * float64(utf8.RuneCountInString(w.Text))
	}
	return sum
}
