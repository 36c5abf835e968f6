package text

import (
	"regexp"
	"strings"

	"github.com/mugai-project/mugai/internal/catalog"
)

// Links policies: what becomes of a URL in a mail body or an HTML file
// (HTMLOptions.Links, and the mail package for plain-text bodies). A
// link's label is always kept.
const (
	LinksDefang = "defang" // label <hxxps://example[.]com/path>; text URLs defanged (default)
	LinksKeep   = "keep"   // label <https://example.com/path>; text URLs as they are
	LinksRemove = "remove" // label only; text URLs replaced by RemovedLink
)

// RemovedLink is the mark that stands where LinksRemove took a URL out
// of the text: the catalog's Japanese words, as the text goes to
// Japanese readers.
func RemovedLink() string { return catalog.Text(catalog.Japanese, "notice.link_removed") }

// textURL finds URLs written in text: an http, https or ftp scheme and
// then the characters RFC 3986 section 2 allows in a URI (unreserved,
// reserved and "%"). Japanese text often follows a URL without a space
// ("詳細はhttps://example.jp/infoをご覧ください"): every other character,
// full-width and CJK ones included, ends the URL.
var textURL = regexp.MustCompile(`(?i)\b(?:https?|ftp)://[0-9a-z._~:/?#\[\]@!$&'()*+,;=%-]+`)

// findURLs returns the byte ranges [start, end) of the URLs written in s,
// each without the punctuation that ends the sentence around it.
func findURLs(s string) [][2]int {
	if !strings.Contains(s, "://") {
		return nil
	}
	var out [][2]int
	for _, m := range textURL.FindAllStringIndex(s, -1) {
		u := trimURL(s[m[0]:m[1]])
		if strings.HasSuffix(u, "://") {
			continue // a scheme and no host
		}
		out = append(out, [2]int{m[0], m[0] + len(u)})
	}
	return out
}

// trimURL removes from the end of u the punctuation that closes the
// sentence rather than the URL: . , ; : ! ? ' and a ")" or "]" that no
// "(" or "[" in the URL opened, so "(https://example.jp/a_(b))" keeps
// "https://example.jp/a_(b)".
func trimURL(u string) string {
	opened := strings.Count(u, "(") - strings.Count(u, ")")
	bracketed := strings.Count(u, "[") - strings.Count(u, "]")
	for u != "" {
		switch u[len(u)-1] {
		case '.', ',', ';', ':', '!', '?', '\'':
		case ')':
			if opened >= 0 {
				return u
			}
			opened++
		case ']':
			if bracketed >= 0 {
				return u
			}
			bracketed++
		default:
			return u
		}
		u = u[:len(u)-1]
	}
	return u
}

// ApplyLinks returns s with the links policy applied to every URL written
// in it: kept (LinksKeep), replaced by RemovedLink() (LinksRemove) or
// defanged (LinksDefang, and any other value). found, if not nil, is
// called with each URL as written. Plain-text mail bodies and the text of
// HTML documents both go through here, so a URL is treated the same in
// either.
func ApplyLinks(s, policy string, found func(url string)) string {
	spans := findURLs(s)
	if len(spans) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		u := s[sp[0]:sp[1]]
		if found != nil {
			found(u)
		}
		b.WriteString(s[last:sp[0]])
		switch policy {
		case LinksKeep:
			b.WriteString(u)
		case LinksRemove:
			b.WriteString(RemovedLink())
		default:
			b.WriteString(Defang(u))
		}
		last = sp[1]
	}
	b.WriteString(s[last:])
	return b.String()
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
