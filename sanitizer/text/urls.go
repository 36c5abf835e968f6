package text

import (
	"regexp"
	"strings"
)

// Link policies for HTMLOptions.Links.
const (
	LinksDefang = "defang" // label <hxxps://example[.]com/path> (default)
	LinksKeep   = "keep"   // label <https://example.com/path>
	LinksRemove = "remove" // label only
)

var textURL = regexp.MustCompile(`(?i)\b(?:https?|ftp)://[^\s<>"'\x{3000}-\x{303F}\x{FF01}-\x{FF5E}]+`)

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
