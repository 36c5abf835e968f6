package text

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
)

type list struct {
	ordered bool
	n       int
}

// table is the state of one open table. A table whose cells hold block
// structure (headings, lists, nested tables, several paragraphs) or that
// says role="presentation" is a layout table: its cells are written as
// blocks, not as TAB-separated columns.
type table struct {
	cells  int // cells begun in the current row
	open   int // open cells
	blocks int // paragraphs and line breaks in the current cell
	layout bool
}

// heavy elements make the table around the current cell a layout table.
var heavy = map[string]bool{
	"table": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"ul": true, "ol": true, "dl": true, "blockquote": true, "pre": true, "hr": true,
	"section": true, "article": true, "header": true, "footer": true,
}

type link struct {
	href  string
	show  bool // an absolute URL with an allowed scheme
	label strings.Builder
}

func (c *conv) text(b []byte) error {
	if c.top() == "head" && len(bytes.TrimLeft(b, " \t\n\r\f")) > 0 {
		c.closeIn("head") // text ends <head> (§13.2.6.4.4)
	}
	if c.dropping() {
		switch c.top() {
		case "style":
			c.cssURLs(string(b))
		case "noscript":
			// The tokenizer reads noscript as raw text (scripting on);
			// its markup is tokenized here only to list its URLs.
			z := html.NewTokenizer(bytes.NewReader(b))
			for {
				tt := z.Next()
				if tt == html.ErrorToken {
					break
				}
				if tt == html.StartTagToken || tt == html.SelfClosingTagToken {
					c.attrs(z.Token())
				}
			}
		}
		return nil
	}
	s := c.clean(string(b))
	if c.pre > 0 {
		if c.preFirst {
			s = strings.TrimPrefix(strings.TrimPrefix(s, "\r"), "\n")
		}
		c.preFirst = false
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
		s = strings.ReplaceAll(s, "\f", "")
		c.emitPre(s)
		return nil
	}
	c.emitText(s)
	return nil
}

// emitText writes collapsible text with the links policy applied to the
// URLs in it, and lists them.
func (c *conv) emitText(s string) {
	c.out.text(ApplyLinks(s, c.opts.Links, c.addURL), c.capture())
}

// emitPre writes preformatted text line by line, with the links policy
// applied as in emitText.
func (c *conv) emitPre(s string) {
	s = ApplyLinks(s, c.opts.Links, c.addURL)
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			c.out.br()
		}
		c.out.raw(line, c.capture())
	}
}

// clean removes controls (but not whitespace) and bidi overrides. A
// control right after "<" becomes U+FFFD instead, so that removing it
// cannot join "<" and the text after it into a tag ("<\x00script").
func (c *conv) clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	ok := true
	for _, r := range s {
		if badRune(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	prev := rune(0)
	for _, r := range s {
		if badRune(r) {
			c.res.Removed["control-character"]++
			if prev == '<' {
				b.WriteRune('\uFFFD')
				prev = '\uFFFD'
			}
			continue
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

func badRune(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == '\f':
		return false
	case r < 0x20 || r == 0x7F || (r >= 0x80 && r <= 0x9F):
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

func (c *conv) capture() *strings.Builder {
	if len(c.links) == 0 {
		return nil
	}
	l := c.links[len(c.links)-1]
	if l.label.Len() > 4096 {
		return nil
	}
	return &l.label
}

// dataCell reports whether text goes into a cell of a data table, where
// blocks become spaces.
func (c *conv) dataCell() bool {
	n := len(c.tables)
	return n > 0 && c.tables[n-1].open > 0 && !c.tables[n-1].layout
}

// cellBlock notes block structure inside the current data cell.
func (c *conv) cellBlock(name string) {
	if !c.dataCell() {
		return
	}
	t := &c.tables[len(c.tables)-1]
	switch {
	case heavy[name]:
		t.layout = true
	case name == "p" || name == "div" || name == "br" || name == "li":
		t.blocks++
		if t.blocks > 2 {
			t.layout = true
		}
	}
}

func (c *conv) endLink() {
	if len(c.links) == 0 {
		return
	}
	l := c.links[len(c.links)-1]
	c.links = c.links[:len(c.links)-1]
	if !l.show || c.opts.Links == LinksRemove {
		return
	}
	label := strings.TrimSpace(l.label.String())
	href := l.href
	if label == href || label == strings.TrimPrefix(href, "mailto:") || label == Defang(href) ||
		strings.TrimRight(label, "/") == strings.TrimRight(href, "/") {
		return
	}
	if c.opts.Links == LinksDefang {
		href = Defang(href)
	}
	if label == "" {
		c.out.text(href, c.capture())
		return
	}
	c.out.text(" <"+href+">", c.capture())
}

// paraGap is the line breaks around a paragraph or heading: a blank line,
// but none inside a list, where items stay one a line.
func (c *conv) paraGap() int {
	if len(c.lists) > 0 {
		return 1
	}
	return 2
}

func (c *conv) block(n int) {
	if c.dataCell() {
		c.out.space()
		return
	}
	c.out.block(n)
}

func (c *conv) lineBreak() {
	c.cellBlock("br")
	if c.dataCell() {
		c.out.space()
		return
	}
	c.out.br()
}

func (c *conv) linePrefix() string {
	if c.quote == 0 {
		return ""
	}
	return strings.Repeat("> ", min(c.quote, 20))
}
