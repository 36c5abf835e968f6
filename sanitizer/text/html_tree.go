package text

import (
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// voids are elements without end tag (HTML §13.1.2).
var voids = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "param": true, "source": true, "track": true,
	"wbr": true, "keygen": true, "frame": true, "basefont": true, "bgsound": true,
}

// dropped elements and the Removed key they count under ("" = not counted).
var dropped = map[string]string{
	"head": "", "title": "", "rp": "", "script": "script", "style": "style",
	"template": "template", "noscript": "noscript", "noembed": "object", "noframes": "iframe",
	"iframe": "iframe", "frame": "iframe", "frameset": "iframe",
	"object": "object", "embed": "object", "applet": "object", "param": "",
	"svg": "svg", "math": "svg", "audio": "media", "video": "media", "canvas": "media",
	"input": "form-control", "select": "form-control", "textarea": "form-control",
	"button": "form-control", "datalist": "form-control",
	"dialog": "hidden",
}

var blocks = map[string]bool{
	"div": true, "section": true, "article": true, "header": true, "footer": true, "nav": true,
	"aside": true, "main": true, "address": true, "figure": true, "figcaption": true,
	"fieldset": true, "legend": true, "center": true, "details": true, "summary": true,
	"dl": true, "dt": true, "dd": true, "caption": true, "form": true, "body": true, "html": true,
	"hgroup": true, "menu": true, "dir": true, "search": true,
}

// closesP lists start tags that close an open <p> (HTML §13.2.6.4.7).
var closesP = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true, "center": true,
	"details": true, "dialog": true, "dir": true, "div": true, "dl": true, "fieldset": true,
	"figcaption": true, "figure": true, "footer": true, "form": true, "h1": true, "h2": true,
	"h3": true, "h4": true, "h5": true, "h6": true, "header": true, "hgroup": true, "hr": true,
	"main": true, "menu": true, "nav": true, "ol": true, "p": true, "pre": true, "section": true,
	"summary": true, "table": true, "ul": true, "listing": true, "xmp": true, "plaintext": true,
}

var headContent = map[string]bool{
	"title": true, "meta": true, "link": true, "style": true, "script": true, "base": true,
	"noscript": true, "template": true, "basefont": true, "bgsound": true, "head": true, "html": true,
}

var breakout = map[string]bool{
	"b": true, "big": true, "blockquote": true, "body": true, "br": true, "center": true, "code": true,
	"dd": true, "div": true, "dl": true, "dt": true, "em": true, "embed": true, "h1": true, "h2": true,
	"h3": true, "h4": true, "h5": true, "h6": true, "head": true, "hr": true, "i": true, "img": true,
	"li": true, "listing": true, "menu": true, "meta": true, "nobr": true, "ol": true, "p": true,
	"pre": true, "ruby": true, "s": true, "small": true, "span": true, "strong": true, "strike": true,
	"sub": true, "sup": true, "table": true, "tt": true, "u": true, "ul": true, "var": true,
}

var scopeDefault = map[string]bool{
	"applet": true, "caption": true, "html": true, "table": true, "td": true, "th": true,
	"marquee": true, "object": true, "template": true, "svg": true, "math": true,
}

var scopeTable = map[string]bool{"html": true, "table": true, "template": true}

func attr(t html.Token, key string) (string, bool) {
	for _, a := range t.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// hidden reports elements a browser would not show.
func hidden(t html.Token) bool {
	if _, ok := attr(t, "hidden"); ok {
		return true
	}
	if v, _ := attr(t, "aria-hidden"); strings.EqualFold(strings.TrimSpace(v), "true") {
		return true
	}
	if t.Data == "input" {
		return true
	}
	style, ok := attr(t, "style")
	if !ok {
		return false
	}
	s := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' {
			return -1
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, style)
	for _, decl := range strings.Split(s, ";") {
		decl = strings.TrimSuffix(decl, "!important")
		switch decl {
		case "display:none", "visibility:hidden", "visibility:collapse", "mso-hide:all",
			"opacity:0", "opacity:0.0", "opacity:0%", "font-size:0", "font-size:0px", "font-size:0pt",
			"font-size:0em", "font-size:0rem", "font-size:0%":
			return true
		}
	}
	return false
}

func tiny(t html.Token) bool {
	w, _ := attr(t, "width")
	h, _ := attr(t, "height")
	small := func(s string) bool {
		s = strings.TrimSuffix(strings.TrimSpace(s), "px")
		n, err := strconv.Atoi(s)
		return err == nil && n <= 1
	}
	return small(w) && small(h)
}

func (c *conv) start(t html.Token, selfClosing bool) error {
	name := t.Data
	c.attrs(t)
	if name == "br" && !c.dropping() {
		c.lineBreak()
		return nil
	}
	void := voids[name] || (selfClosing && c.dropping())
	if c.overflow > 0 || len(c.stack) >= c.opts.MaxDepth {
		if void {
			return c.voidElem(t)
		}
		c.overflow++
		c.res.Removed["flattened"]++
		if c.overDropAt == 0 {
			if _, ok := dropped[name]; ok || hidden(t) {
				c.overDropAt = c.overflow
			}
		}
		return nil
	}
	c.implied(name)
	if c.dropping() {
		if key := dropped[name]; key != "" {
			c.res.Removed[key]++ // e.g. a script in <head>: reported too
		}
		if !void {
			c.push(elem{name: name})
		}
		return nil
	}
	if key, ok := dropped[name]; ok || hidden(t) {
		if !ok {
			key = "hidden"
		}
		if key != "" {
			c.res.Removed[key]++
		}
		if !void {
			c.push(elem{name: name, flags: fDrop})
		}
		return nil
	}
	if void {
		return c.voidElem(t)
	}
	e := elem{name: name}
	c.cellBlock(name)
	switch {
	case name == "p":
		e.flags |= fPara
		c.block(c.paraGap())
	case len(name) == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6':
		e.flags |= fHeading
		c.block(c.paraGap())
		c.out.raw("【", c.capture())
	case name == "ul" || name == "ol":
		e.flags |= fList
		l := list{ordered: name == "ol"}
		if s, ok := attr(t, "start"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > -1e6 && n < 1e6 {
				l.n = n - 1
			}
		}
		c.lists = append(c.lists, l)
		c.block(1)
	case name == "li":
		c.block(1)
		marker := "・"
		depth := len(c.lists)
		if depth > 0 {
			l := &c.lists[depth-1]
			l.n++
			if l.ordered {
				marker = strconv.Itoa(l.n) + ". "
			}
			if !c.dataCell() {
				marker = strings.Repeat("  ", min(depth-1, 10)) + marker
			}
		}
		c.out.raw(marker, c.capture())
		c.out.marker = true
	case name == "blockquote":
		e.flags |= fQuote
		c.block(1)
		c.quote++
	case name == "pre" || name == "listing" || name == "xmp" || name == "plaintext":
		e.flags |= fPre
		c.block(1)
		c.pre++
		c.preFirst = true
	case name == "table":
		e.flags |= fTable
		c.block(1)
		role, _ := attr(t, "role")
		c.tables = append(c.tables, table{layout: strings.EqualFold(strings.TrimSpace(role), "presentation")})
	case name == "tr":
		c.block(1)
		if n := len(c.tables); n > 0 {
			c.tables[n-1].cells = 0
		}
	case name == "td" || name == "th":
		e.flags |= fCell
		if n := len(c.tables); n > 0 {
			tb := &c.tables[n-1]
			switch {
			case tb.layout:
				c.block(1)
			case tb.cells > 0:
				c.out.raw("\t", c.capture())
			}
			tb.cells++
			tb.open++
			tb.blocks = 0
		}
	case name == "rt":
		e.flags |= fRT
		c.out.raw("(", c.capture())
	case name == "a":
		e.flags |= fLink
		href, _ := attr(t, "href")
		l := &link{href: strings.TrimSpace(href)}
		if l.href != "" {
			l.show = showable(l.href)
			if !l.show && unsafeScheme(l.href) {
				c.res.Removed["unsafe-url"]++
			}
		}
		c.links = append(c.links, l)
	case name == "form":
		c.res.Removed["form"]++
		e.flags |= fBlock
		c.block(1)
	case blocks[name]:
		e.flags |= fBlock
		c.block(1)
	}
	c.push(e)
	return nil
}

// implied closes elements whose end tag may be omitted.
func (c *conv) implied(name string) {
	// An element that does not belong in <head> ends it, as does <body>
	// (HTML §13.2.6.4.4): mail often leaves </head> out.
	if !headContent[name] && c.inHead() {
		c.closeIn("head")
	}
	// HTML elements break out of <svg> and <math> (§13.2.6.5).
	if breakout[name] {
		for i := len(c.stack) - 1; i >= 0; i-- {
			if n := c.stack[i].name; n == "svg" || n == "math" {
				for len(c.stack) > i {
					c.pop()
				}
			}
		}
	}
	switch {
	case closesP[name]:
		c.closeIn("p", "button", "table", "td", "th", "caption", "template", "html")
	}
	switch name {
	case "li":
		c.closeIn("li", "ul", "ol", "table", "td", "th")
	case "dt", "dd":
		c.closeIn("dt", "dl", "table", "td", "th")
		c.closeIn("dd", "dl", "table", "td", "th")
	case "tr":
		c.closeIn("tr", "table")
	case "td", "th":
		c.closeIn("td", "tr", "table")
		c.closeIn("th", "tr", "table")
	case "tbody", "thead", "tfoot":
		c.closeIn("tr", "table")
	case "option", "optgroup":
		c.closeIn("option", "select")
	case "a":
		c.closeIn("a", "table", "td", "th")
	}
}

// inHead reports whether the innermost dropped element is <head> itself
// (not a raw text element inside it).
func (c *conv) inHead() bool {
	for i := len(c.stack) - 1; i >= 0; i-- {
		if c.stack[i].flags&fDrop != 0 {
			return c.stack[i].name == "head"
		}
	}
	return false
}

// closeIn pops up to and including the nearest open `name`, unless one of
// the boundary elements comes first.
func (c *conv) closeIn(name string, boundary ...string) {
	for i := len(c.stack) - 1; i >= 0; i-- {
		n := c.stack[i].name
		if n == name {
			for len(c.stack) > i {
				c.pop()
			}
			return
		}
		for _, b := range boundary {
			if n == b {
				return
			}
		}
	}
}

func (c *conv) voidElem(t html.Token) error {
	if c.dropping() {
		return nil
	}
	switch t.Data {
	case "hr":
		c.cellBlock("hr")
		c.block(1)
		c.out.raw(strings.Repeat("─", 20), c.capture())
		c.block(1)
	case "img":
		c.res.Removed["image"]++
		if hidden(t) || tiny(t) {
			c.res.Removed["tracking-pixel"]++
			return nil
		}
		alt, _ := attr(t, "alt")
		alt = strings.Join(strings.Fields(c.clean(alt)), " ")
		if alt != "" {
			c.out.text("[画像: "+alt+"]", c.capture())
		}
	case "input", "embed", "keygen":
		key := dropped[t.Data]
		if key != "" {
			c.res.Removed[key]++
		}
	case "frame":
		c.res.Removed["iframe"]++
	case "wbr":
	}
	return nil
}

func (c *conv) push(e elem) {
	if e.flags&fDrop != 0 {
		c.drop++
	}
	c.stack = append(c.stack, e)
}

func (c *conv) end(name string) error {
	if name == "br" && !c.dropping() { // </br> is <br> (HTML §13.2.6.4.7)
		c.lineBreak()
		return nil
	}
	if c.overflow > 0 {
		if c.overflow == c.overDropAt {
			c.overDropAt = 0
		}
		c.overflow--
		return nil
	}
	scope := scopeDefault
	switch name {
	case "table", "tbody", "thead", "tfoot", "tr", "td", "th", "caption":
		scope = scopeTable
	}
	for i := len(c.stack) - 1; i >= 0; i-- {
		n := c.stack[i].name
		if n == name {
			for len(c.stack) > i {
				c.pop()
			}
			return nil
		}
		// An end tag does not close anything beyond a scope boundary
		// (HTML §13.2.4.2 "has an element in scope"); it is ignored.
		if scope[n] {
			return nil
		}
	}
	return nil
}

func (c *conv) pop() {
	e := c.stack[len(c.stack)-1]
	c.stack = c.stack[:len(c.stack)-1]
	if e.flags&fDrop != 0 {
		c.drop--
		return
	}
	if c.dropping() {
		return
	}
	f := e.flags
	switch {
	case f&fPara != 0:
		c.block(c.paraGap())
	case f&fHeading != 0:
		c.out.raw("】", c.capture())
		c.block(c.paraGap())
	case f&fList != 0:
		if len(c.lists) > 0 {
			c.lists = c.lists[:len(c.lists)-1]
		}
		c.block(1)
	case f&fQuote != 0:
		c.block(1)
		c.quote--
	case f&fPre != 0:
		c.pre--
		c.block(1)
	case f&fTable != 0:
		if len(c.tables) > 0 {
			c.tables = c.tables[:len(c.tables)-1]
		}
		c.block(1)
	case f&fCell != 0:
		if n := len(c.tables); n > 0 {
			tb := &c.tables[n-1]
			tb.open = max(tb.open-1, 0)
			if tb.layout {
				c.block(1)
			}
		}
	case f&fRT != 0:
		c.out.raw(")", c.capture())
	case f&fLink != 0:
		c.endLink()
	case f&fBlock != 0:
		c.block(1)
	}
	switch e.name {
	case "li", "tr", "dt", "dd":
		c.block(1)
	}
}
