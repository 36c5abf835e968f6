package text

import (
	"bufio"
	"strings"
	"unicode/utf8"
)

// lineWriter assembles output lines: collapsible whitespace, owed line
// breaks, the blockquote prefix, trailing spaces trimmed.
type lineWriter struct {
	w      *bufio.Writer
	max    int64
	n      int64
	err    error
	prefix func() string

	line       []byte
	content    bool // the current line has content
	started    bool // anything was written
	owed       int  // line breaks owed before the next content
	lastNLs    int  // line breaks written since the last content
	sp         bool // a collapsible space is pending
	spaceBrk   bool // and its run held a line break
	lastRune   rune
	linePfxed  bool
	lastPrefix string // of the last line with content
	marker     bool   // the line holds only a list marker so far
}

func commonPrefix(a, b string) string {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return a[:i]
		}
	}
	return a[:n]
}

func (l *lineWriter) block(n int) {
	l.sp = false
	if !l.started || l.marker {
		return // nothing yet, or a list marker waits for its item's text
	}
	if need := n - l.lastNLs; need > l.owed {
		l.owed = min(need, 3)
	}
}

func (l *lineWriter) br() {
	l.sp = false
	if !l.started {
		l.started = true // a leading <br> still counts as a line
	}
	l.owed = min(l.owed+1, 3)
}

func (l *lineWriter) space() {
	if l.content {
		l.sp = true
	}
}

// flushOwed writes owed line breaks before content.
func (l *lineWriter) flushOwed() {
	if l.owed == 0 {
		return
	}
	for i := 0; i < l.owed; i++ {
		l.endLine()
	}
	l.owed = 0
	l.sp = false
}

func (l *lineWriter) endLine() {
	line := l.line
	for len(line) > 0 && line[len(line)-1] == ' ' {
		line = line[:len(line)-1]
	}
	if len(line) == 0 && !l.content {
		// A blank line carries the quote marks common to the lines
		// around it.
		if p := strings.TrimRight(commonPrefix(l.lastPrefix, l.prefix()), " "); p != "" && !l.linePfxed {
			line = append(line, p...)
		}
	}
	l.write(line)
	l.write([]byte{'\n'})
	l.line = l.line[:0]
	l.content = false
	l.linePfxed = false
	l.lastNLs++
}

func (l *lineWriter) write(b []byte) {
	if l.err != nil {
		return
	}
	l.n += int64(len(b))
	if l.n > l.max {
		l.err = &LimitError{Limit: "output bytes", Max: l.max}
		return
	}
	_, l.err = l.w.Write(b)
}

func (l *lineWriter) beginContent(next rune, collapse bool) {
	if l.owed > 0 && l.started {
		l.flushOwed()
	}
	l.owed = 0
	if !l.linePfxed {
		l.lastPrefix = l.prefix()
		l.line = append(l.line, l.lastPrefix...)
		l.linePfxed = true
	}
	if collapse && l.sp && l.content {
		if !(l.spaceBrk && isCJK(l.lastRune) && isCJK(next)) {
			l.line = append(l.line, ' ')
		}
	}
	l.sp, l.spaceBrk = false, false
	l.marker = false
	l.started = true
	l.content = true
	l.lastNLs = 0
	if int64(len(l.line))+l.n > l.max {
		l.err = &LimitError{Limit: "output bytes", Max: l.max}
		l.line = l.line[:0]
	}
}

// text writes collapsible text (HTML white space: TAB, LF, FF, CR, space;
// and NBSP, which mail HTML uses for layout).
func (l *lineWriter) text(s string, capture *strings.Builder) {
	for _, r := range s {
		switch r {
		case ' ', '\t', '\n', '\f', '\r', 0xA0:
			if l.content || l.owed == 0 {
				l.sp = l.content
			}
			if r == '\n' || r == '\r' {
				l.spaceBrk = true
			}
			if capture != nil && l.content {
				capture.WriteByte(' ')
			}
			continue
		}
		l.beginContent(r, true)
		l.line = utf8.AppendRune(l.line, r)
		l.lastRune = r
		if capture != nil {
			capture.WriteRune(r)
		}
	}
}

// raw writes text as is (markers, TAB between cells, <pre> lines).
func (l *lineWriter) raw(s string, capture *strings.Builder) {
	if s == "" {
		return
	}
	r, _ := utf8.DecodeRuneInString(s)
	l.beginContent(r, false)
	l.line = append(l.line, s...)
	l.lastRune, _ = utf8.DecodeLastRuneInString(s)
	if capture != nil {
		capture.WriteString(s)
	}
}

func (l *lineWriter) finish() error {
	if l.err != nil {
		return l.err
	}
	if l.content {
		l.endLine()
	}
	return l.err
}

// isCJK reports characters between which a line break in the source is
// removed rather than turned into a space (CSS Text 3 §4.1.3: East Asian
// Wide, Fullwidth and Halfwidth, not Hangul).
func isCJK(r rune) bool {
	switch {
	case r >= 0x2E80 && r <= 0x303F, // radicals, CJK symbols and punctuation
		r >= 0x3040 && r <= 0x30FF, // kana
		r >= 0x3100 && r <= 0x9FFF, // bopomofo … CJK unified
		r >= 0xF900 && r <= 0xFAFF,
		r >= 0xFE30 && r <= 0xFE4F,
		r >= 0xFF00 && r <= 0xFFEF,
		r >= 0x20000 && r <= 0x3FFFF:
		return true
	}
	return false
}
