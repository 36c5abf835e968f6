// Package textsim measures how much of a known text another text gives
// back, in order: the share of the known text's characters that appear,
// in the same order, in the other (the longest common subsequence of
// the two, white space left out); and what a person who searches the
// other text for phrases of the known one meets (Searchable: spaces and
// line breaks the known text lacks, phrases not found verbatim). It is
// how mugai's tests judge a text layer read back by pdftotext or PDFium
// and the text OCR finds on a page.
package textsim

import "unicode"

// InOrder returns the longest common subsequence of want and got, white
// space left out, over the length of want: 1 when got holds every
// character of want in order, 0 when it holds none. Texts are compared
// as given; at most 20 000 characters of each are looked at.
func InOrder(want, got string) float64 {
	w, g := letters(want), letters(got)
	if len(w) == 0 {
		return 1
	}
	prev, cur := make([]int, len(g)+1), make([]int, len(g)+1)
	for i := range w {
		for j := range g {
			switch {
			case w[i] == g[j]:
				cur[j+1] = prev[j] + 1
			case prev[j+1] >= cur[j]:
				cur[j+1] = prev[j+1]
			default:
				cur[j+1] = cur[j]
			}
		}
		prev, cur = cur, prev
	}
	return float64(prev[len(g)]) / float64(len(w))
}

func letters(s string) []rune {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if !unicode.IsSpace(r) && len(out) < 20_000 {
			out = append(out, r)
		}
	}
	return out
}
