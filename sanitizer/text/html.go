package text

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// Link policies for HTMLOptions.Links.
const (
	LinksDefang = "defang" // label <hxxps://example[.]com/path> (default)
	LinksKeep   = "keep"   // label <https://example.com/path>
	LinksRemove = "remove" // label only
)

// HTMLOptions for HTMLToText. The zero value means defaults.
type HTMLOptions struct {
	// Links: LinksDefang (default), LinksKeep or LinksRemove. In defang
	// mode URLs written as plain text are defanged too.
	Links string
	// MaxDepth bounds element nesting; deeper elements are flattened (their
	// text is kept, their structure ignored). Default 512.
	MaxDepth int
	// MaxInputBytes bounds the HTML read. Default 64 MiB.
	MaxInputBytes int64
	// MaxOutputBytes bounds the text written. Default 16 MiB.
	MaxOutputBytes int64
	// MaxTokenBytes bounds one token (a tag with its attributes, or one
	// run of text). Default 8 MiB.
	MaxTokenBytes int
	// MaxURLs bounds HTMLResult.URLs. Default 1000.
	MaxURLs int
}

func (o HTMLOptions) withDefaults() HTMLOptions {
	if o.Links == "" {
		o.Links = LinksDefang
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = 512
	}
	if o.MaxInputBytes <= 0 {
		o.MaxInputBytes = 64 << 20
	}
	if o.MaxOutputBytes <= 0 {
		o.MaxOutputBytes = 16 << 20
	}
	if o.MaxTokenBytes <= 0 {
		o.MaxTokenBytes = 8 << 20
	}
	if o.MaxURLs <= 0 {
		o.MaxURLs = 1000
	}
	return o
}

// HTMLResult says what HTMLToText found and dropped.
type HTMLResult struct {
	// URLs lists every URL found (href, src, srcset, action, formaction,
	// data, poster, background, cite, ping, xlink:href, meta refresh, CSS
	// url() and @import, and URLs in the text), in order of appearance,
	// each once, whether shown or not. data: URLs are shortened to their
	// media type; URLs longer than 2048 bytes are cut.
	URLs []string
	// Removed counts what was dropped, by kind: "script", "style",
	// "noscript", "template", "iframe", "object", "form", "form-control",
	// "svg", "media", "hidden", "image", "tracking-pixel", "comment",
	// "event-handler", "unsafe-url", "meta-refresh", "control-character",
	// "flattened" (elements beyond MaxDepth).
	Removed  map[string]int
	BytesOut int64
}

// HTMLToText writes the text of an HTML document read from r (UTF-8; see
// HTMLCharset and Decoder for files) to w as plain UTF-8 text, the way
// mail 無害化 shows an HTML body.
//
// The document is read with the golang.org/x/net/html tokenizer and a small
// element stack of its own (no DOM is built; memory is bounded by the
// limits, and nesting beyond MaxDepth is flattened, not recursed), so
// implied end tags are handled only for head, p, li, dt/dd, tr, td/th,
// option and a, HTML breaking out of svg/math, and end tags stop at scope
// boundaries (HTML Living Standard §13.2.4.2, §13.2.6.4.7); elsewhere an
// unclosed element lasts to its parent's end tag.
//
// Rendering:
//   - paragraphs and blocks end lines; <p> leaves a blank line; <br> breaks
//     the line; <hr> is a rule of ─.
//   - headings become 【見出し】 on their own line.
//   - lists: "・" bullets, "1. " numbers (ol start is honoured), two spaces
//     of indent per nesting level.
//   - tables: one line per row, cells separated by a TAB (not aligned: the
//     mail client's font is unknown). Blocks inside a cell become spaces.
//     A layout table (role="presentation", or cells holding headings,
//     lists, nested tables or several paragraphs, as newsletters do) is
//     written as blocks instead, one cell after the other.
//   - blockquote lines are prefixed with "> "; <pre> text is kept verbatim.
//   - images become [画像: alt] (nothing if alt is empty; 1×1 images are
//     counted as tracking pixels).
//   - ruby annotations are written in parentheses: 漢字(かんじ).
//   - entities are decoded; whitespace is collapsed as a browser does, but a
//     line break between two CJK characters is removed rather than turned
//     into a space (CSS Text 3 §4.1.3).
//
// Dropped (with their content): head, script, style, template, noscript,
// iframe/frame, object/embed/applet, svg, math, audio/video/canvas, form
// controls, and hidden elements (hidden attribute, aria-hidden="true", or
// a style with display:none, visibility:hidden, opacity:0, font-size:0 or
// mso-hide:all). A <form> element is counted but its ordinary text kept.
// Comments and event handler attributes are dropped and counted.
//
// Links follow opts.Links. javascript:, vbscript:, data: and any scheme
// other than http, https, ftp, mailto and tel are never shown (label only,
// counted as "unsafe-url"); relative URLs are not shown either. Lines are
// not wrapped. Controls other than TAB and LF, and bidirectional
// override/isolate characters, are removed.
func HTMLToText(ctx context.Context, r io.Reader, w io.Writer, opts HTMLOptions) (HTMLResult, error) {
	opts = opts.withDefaults()
	res := HTMLResult{Removed: map[string]int{}}
	switch opts.Links {
	case LinksDefang, LinksKeep, LinksRemove:
	default:
		return res, errors.New("text: HTMLOptions.Links must be keep, defang or remove, not " + strconv.Quote(opts.Links))
	}
	in := &limitReader{ctx: ctx, r: r, left: opts.MaxInputBytes, max: opts.MaxInputBytes}
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 32<<10)
	c := &conv{
		opts: opts, res: &res,
		out:  &lineWriter{w: bw, max: opts.MaxOutputBytes},
		seen: map[string]bool{},
	}
	c.out.prefix = c.linePrefix
	err := c.run(ctx, in)
	if err == nil {
		err = c.out.finish()
	}
	if err == nil {
		err = bw.Flush()
	}
	res.BytesOut = cw.n
	for k, v := range res.Removed {
		if v == 0 {
			delete(res.Removed, k)
		}
	}
	return res, err
}

type elemFlag uint16

const (
	fDrop elemFlag = 1 << iota
	fQuote
	fPre
	fList
	fLink
	fHeading
	fTable
	fCell
	fRT
	fBlock
	fPara
)

type elem struct {
	name  string
	flags elemFlag
}

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

type link struct {
	href  string
	show  bool // an absolute URL with an allowed scheme
	label strings.Builder
}

type conv struct {
	opts  HTMLOptions
	res   *HTMLResult
	out   *lineWriter
	seen  map[string]bool
	stack []elem

	drop       int // fDrop elements on the stack
	overflow   int // unpushed start tags beyond MaxDepth
	overDropAt int // overflow level at which a drop began beyond MaxDepth
	quote      int
	pre        int
	preFirst   bool // at the first text after <pre>
	lists      []list
	tables     []table
	links      []*link
}

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

func (c *conv) run(ctx context.Context, r io.Reader) error {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(c.opts.MaxTokenBytes)
	for i := 0; ; i++ {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			err := z.Err()
			if err == io.EOF {
				for len(c.stack) > 0 {
					c.pop()
				}
				return nil
			}
			if errors.Is(err, html.ErrBufferExceeded) {
				return &LimitError{Limit: "token bytes", Max: int64(c.opts.MaxTokenBytes)}
			}
			return err
		case html.TextToken:
			if err := c.text(z.Text()); err != nil {
				return err
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			if err := c.start(z.Token(), tt == html.SelfClosingTagToken); err != nil {
				return err
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if err := c.end(string(name)); err != nil {
				return err
			}
		case html.CommentToken:
			c.res.Removed["comment"]++
		}
		if c.out.err != nil {
			return c.out.err
		}
	}
}

func (c *conv) dropping() bool { return c.drop > 0 || c.overDropAt > 0 }

func (c *conv) top() string {
	if len(c.stack) == 0 {
		return ""
	}
	return c.stack[len(c.stack)-1].name
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

// emitText writes collapsible text, defanging URLs in it in defang mode
// and listing them.
func (c *conv) emitText(s string) {
	var locs [][]int
	if strings.Contains(s, "://") {
		locs = textURL.FindAllStringIndex(s, -1)
	}
	last := 0
	for _, l := range locs {
		c.out.text(s[last:l[0]], c.capture())
		u := strings.TrimRight(s[l[0]:l[1]], ".,;:!?)]}'\"。、」』）")
		c.addURL(u)
		if c.opts.Links == LinksDefang {
			c.out.text(Defang(u), c.capture())
		} else {
			c.out.text(u, c.capture())
		}
		last = l[0] + len(u)
	}
	c.out.text(s[last:], c.capture())
}

func (c *conv) emitPre(s string) {
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			c.out.br()
		}
		c.out.raw(line, c.capture())
	}
}

var textURL = regexp.MustCompile(`(?i)\b(?:https?|ftp)://[^\s<>"'\x{3000}-\x{303F}\x{FF01}-\x{FF5E}]+`)

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

func attr(t html.Token, key string) (string, bool) {
	for _, a := range t.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
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

var scopeDefault = map[string]bool{
	"applet": true, "caption": true, "html": true, "table": true, "td": true, "th": true,
	"marquee": true, "object": true, "template": true, "svg": true, "math": true,
}

var scopeTable = map[string]bool{"html": true, "table": true, "template": true}

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

// urlAttrs are attributes that hold one URL.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true, "data": true, "poster": true,
	"background": true, "cite": true, "longdesc": true, "lowsrc": true, "dynsrc": true,
	"codebase": true, "manifest": true, "icon": true, "xlink:href": true, "usemap": false,
}

func (c *conv) attrs(t html.Token) {
	for _, a := range t.Attr {
		key := a.Key
		if a.Namespace != "" {
			key = a.Namespace + ":" + a.Key
		}
		switch {
		case urlAttrs[key]:
			c.addURL(a.Val)
		case key == "srcset":
			for _, part := range strings.Split(a.Val, ",") {
				if f := strings.Fields(part); len(f) > 0 {
					c.addURL(f[0])
				}
			}
		case key == "ping" || key == "archive":
			for _, f := range strings.Fields(a.Val) {
				c.addURL(f)
			}
		case key == "style":
			c.cssURLs(a.Val)
		case strings.HasPrefix(key, "on"):
			c.res.Removed["event-handler"]++
		}
	}
	if t.Data == "meta" {
		if v, _ := attr(t, "http-equiv"); strings.EqualFold(strings.TrimSpace(v), "refresh") {
			c.res.Removed["meta-refresh"]++
			content, _ := attr(t, "content")
			if u := refreshURL(content); u != "" {
				c.addURL(u)
			}
		}
	}
}

func refreshURL(content string) string {
	lower := strings.ToLower(content)
	i := strings.Index(lower, "url")
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(content[i+3:], " \t\r\n")
	if !strings.HasPrefix(rest, "=") {
		return ""
	}
	rest = strings.TrimSpace(rest[1:])
	if len(rest) > 0 && (rest[0] == '"' || rest[0] == '\'') {
		q := rest[0]
		rest = rest[1:]
		if j := strings.IndexByte(rest, q); j >= 0 {
			rest = rest[:j]
		}
	}
	return strings.TrimSpace(rest)
}

var cssURL = regexp.MustCompile(`(?i)url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')`)

func (c *conv) cssURLs(css string) {
	if !strings.Contains(css, "(") && !strings.Contains(css, "@") {
		return
	}
	for _, m := range cssURL.FindAllStringSubmatch(css, 200) {
		for _, u := range m[1:] {
			if u != "" {
				c.addURL(u)
			}
		}
	}
}

func (c *conv) addURL(u string) {
	u = strings.ToValidUTF8(strings.TrimSpace(u), "\uFFFD")
	if u == "" || len(c.res.URLs) >= c.opts.MaxURLs {
		return
	}
	if strings.HasPrefix(strings.ToLower(u), "data:") {
		if i := strings.IndexAny(u, ",;"); i >= 0 {
			u = u[:i] + ",…"
		}
	}
	if len(u) > 2048 {
		u = u[:2048]
		for !utf8.ValidString(u) {
			u = u[:len(u)-1]
		}
		u += "…"
	}
	u = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7F || badRune(r) {
			return -1
		}
		return r
	}, u)
	u = strings.ReplaceAll(u, " ", "%20")
	if c.seen[u] {
		return
	}
	c.seen[u] = true
	c.res.URLs = append(c.res.URLs, u)
}

// scheme returns the lower-case scheme of u as a browser reads it (tabs
// and newlines inside are ignored, leading controls and spaces trimmed),
// or "" for a relative URL.
func scheme(u string) string {
	u = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, u)
	u = strings.TrimLeft(u, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	i := strings.IndexByte(u, ':')
	if i <= 0 {
		return ""
	}
	s := strings.ToLower(u[:i])
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.') {
			return ""
		}
	}
	return s
}

func showable(u string) bool {
	switch scheme(u) {
	case "http", "https", "ftp":
		return strings.Contains(u, "://") && !strings.ContainsAny(u, " \t\r\n<>\"")
	case "mailto", "tel":
		return !strings.ContainsAny(u, " \t\r\n<>\"")
	}
	return false
}

func unsafeScheme(u string) bool {
	s := scheme(u)
	return s != "" && s != "http" && s != "https" && s != "ftp" && s != "mailto" && s != "tel"
}

// Defang makes a URL unclickable but readable: http → hxxp, https → hxxps,
// ftp → fxp, and every dot of the host written as [.]; a mail address
// becomes user[@]example[.]com.
func Defang(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		if s := scheme(u); s == "mailto" {
			addr := u[len("mailto:"):]
			if j := strings.IndexByte(addr, '@'); j >= 0 {
				return "mailto:" + addr[:j] + "[@]" + strings.ReplaceAll(addr[j+1:], ".", "[.]")
			}
		}
		return u
	}
	sch := strings.ToLower(u[:i])
	switch sch {
	case "http":
		sch = "hxxp"
	case "https":
		sch = "hxxps"
	case "ftp":
		sch = "fxp"
	}
	rest := u[i+3:]
	j := strings.IndexAny(rest, "/?#")
	if j < 0 {
		j = len(rest)
	}
	host := strings.ReplaceAll(rest[:j], ".", "[.]")
	return sch + "://" + host + rest[j:]
}

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
