package text

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
)

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
