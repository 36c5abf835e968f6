package text

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strconv"

	"golang.org/x/net/html"
)

// HTMLOptions for HTMLToText. The zero value means defaults.
type HTMLOptions struct {
	// Links: LinksDefang (default), LinksKeep or LinksRemove. URLs
	// written as text follow it too, as in a plain-text body (ApplyLinks).
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
