package textsim

import (
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// Search is what a person who searches a reader's text for phrases of a
// known text meets: the white space and line breaks the reader put where
// the known text has none, and the phrases it does not hold verbatim.
type Search struct {
	// Spaces counts white space between two East Asian wide characters
	// (kanji, kana, full-width forms) where the known text has none
	// between them: "令 和" for 令和.
	Spaces int
	// Breaks counts line breaks between two characters that the known
	// text has on one line: "納期\n限" for 納期限.
	Breaks int
	// Joined counts two characters, neither East Asian wide, that got has
	// side by side where the known text has white space between them and
	// never has them side by side: Latin words run together.
	Joined int
	// Phrases is the number of phrases looked for; Missing those not
	// found.
	Phrases int
	Missing []string
}

// phraseLen is the length, in characters, of the phrases Searchable looks
// for, about what a person types into a search box.
const phraseLen = 12

// Searchable compares got, the text a reader gives back (pdftotext, a
// viewer's copy), with the known lines of its source. A line break of got
// between the last character of a known line and the first of the next
// is the source's own and is joined, as a person who searches across it
// would; the others are kept. The phrases are the known text, its lines
// joined, cut at white space and then into pieces of phraseLen
// characters (a last piece shorter than that is taken from the end); a
// phrase is found when the joined got holds it verbatim.
func Searchable(lines []string, got string) Search {
	var s Search
	spaced, broken, adjacent := map[[2]rune]bool{}, map[[2]rune]bool{}, map[[2]rune]bool{}
	for i, l := range lines {
		rs := []rune(strings.TrimSpace(l))
		for j := 0; j+1 < len(rs); j++ {
			if !unicode.IsSpace(rs[j]) && !unicode.IsSpace(rs[j+1]) {
				adjacent[[2]rune{rs[j], rs[j+1]}] = true
			}
			if !unicode.IsSpace(rs[j]) && unicode.IsSpace(rs[j+1]) {
				k := j + 1
				for k < len(rs) && unicode.IsSpace(rs[k]) {
					k++
				}
				spaced[[2]rune{rs[j], rs[k]}] = true
			}
		}
		if next := []rune(strings.TrimSpace(lineAt(lines, i+1))); len(rs) > 0 && len(next) > 0 {
			broken[[2]rune{rs[len(rs)-1], next[0]}] = true
		}
	}
	var joined []rune
	sourceBreak := false // the last white space was a line break of the source, joined
	rs := []rune(got)
	for i := 0; i < len(rs); {
		if !unicode.IsSpace(rs[i]) {
			if n := len(joined); n > 0 && !unicode.IsSpace(joined[n-1]) && !sourceBreak {
				pair := [2]rune{joined[n-1], rs[i]}
				if spaced[pair] && !adjacent[pair] && !wide(pair[0]) && !wide(pair[1]) {
					s.Joined++
				}
			}
			joined = append(joined, rs[i])
			sourceBreak = false
			i++
			continue
		}
		j := i
		for j < len(rs) && unicode.IsSpace(rs[j]) {
			j++
		}
		ws := rs[i:j]
		i = j
		if len(joined) == 0 || j == len(rs) {
			continue
		}
		pair := [2]rune{joined[len(joined)-1], rs[j]}
		if strings.ContainsAny(string(ws), "\n\r\f\v\u2028\u2029") {
			if broken[pair] {
				sourceBreak = true
				continue
			}
			s.Breaks++
			joined = append(joined, '\n')
			continue
		}
		if wide(pair[0]) && wide(pair[1]) && !spaced[pair] {
			s.Spaces++
		}
		joined = append(joined, ws...)
	}
	text := string(joined)
	for _, seg := range strings.FieldsFunc(strings.Join(lines, ""), unicode.IsSpace) {
		seg := []rune(seg)
		for start := 0; start < len(seg); start += phraseLen {
			p := seg[start:min(start+phraseLen, len(seg))]
			if len(p) < phraseLen && start > 0 {
				p = seg[len(seg)-phraseLen:]
			}
			s.Phrases++
			if !strings.Contains(text, string(p)) {
				s.Missing = append(s.Missing, string(p))
			}
		}
	}
	return s
}

func lineAt(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return ""
}

// wide tells the characters of East Asian scripts set without spaces
// between words (UAX #11 Wide and Fullwidth).
func wide(r rune) bool {
	k := width.LookupRune(r).Kind()
	return k == width.EastAsianWide || k == width.EastAsianFullwidth
}
