package mail

import (
	"net/url"
	"strconv"
	"strings"
)

// nameParams parses the parameters of a Content-Type or
// Content-Disposition value for the file name: RFC 2045 §5.1 tokens and
// quoted strings, and RFC 2231 §3–4 continuations and charsets in any
// charset (mime.ParseMediaType only accepts UTF-8 and US-ASCII there;
// QUIRK: Japanese clients also send Shift_JIS and ISO-2022-JP). Values
// come back as UTF-8; encoded words are left to the caller.
func nameParams(v string) map[string]string {
	type piece struct {
		val     string
		encoded bool
	}
	plain := map[string]string{}
	conts := map[string]map[int]piece{}
	for _, kv := range splitParams(v) {
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		val = unquote(strings.TrimSpace(val))
		base, rest, star := strings.Cut(k, "*")
		if !star {
			plain[k] = val
			continue
		}
		idx, encoded := 0, false
		switch {
		case rest == "": // name*=charset'lang'value
			encoded = true
		case strings.HasSuffix(rest, "*"):
			encoded = true
			rest = strings.TrimSuffix(rest, "*")
			fallthrough
		default:
			n, err := strconv.Atoi(rest)
			if err != nil || n < 0 || n > 100 {
				continue
			}
			idx = n
		}
		if conts[base] == nil {
			conts[base] = map[int]piece{}
		}
		conts[base][idx] = piece{val, encoded}
	}
	out := plain
	for base, ps := range conts {
		var raw []byte
		charset := ""
		for i := 0; ; i++ {
			p, ok := ps[i]
			if !ok {
				break
			}
			val := p.val
			if p.encoded {
				if i == 0 {
					if cs, rest, ok := strings.Cut(val, "'"); ok {
						charset = cs
						if _, rest2, ok := strings.Cut(rest, "'"); ok {
							val = rest2
						} else {
							val = rest
						}
					}
				}
				if u, err := url.PathUnescape(val); err == nil {
					val = u
				}
			}
			raw = append(raw, val...)
		}
		if len(raw) == 0 {
			continue
		}
		s, _ := decodeBytes(charset, raw)
		out[base] = s
	}
	return out
}

// splitParams splits "type; a=b; c=\"d;e\"" into its parameters,
// respecting quoted strings.
func splitParams(v string) []string {
	var out []string
	inQuote, esc := false, false
	start := -1
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case esc:
			esc = false
		case c == '\\' && inQuote:
			esc = true
		case c == '"':
			inQuote = !inQuote
		case c == ';' && !inQuote:
			if start >= 0 {
				out = append(out, v[start:i])
			}
			start = i + 1
		}
	}
	if start >= 0 && start <= len(v) {
		out = append(out, v[start:])
	}
	return out
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
		if strings.Contains(s, `\`) {
			var b strings.Builder
			for i := 0; i < len(s); i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			s = b.String()
		}
	}
	return s
}
