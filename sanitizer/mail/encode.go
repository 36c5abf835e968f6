package mail

import (
	"bytes"
	"fmt"
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Output header lines are folded at 78 columns (RFC 5322 §2.1.1 SHOULD)
// and never exceed 998 octets (MUST).
const (
	foldAt      = 78
	maxLine     = 998
	maxToken    = 900 // longer tokens (a Received clause) are cut
	wordOctets  = 36  // UTF-8 octets per encoded word: 60 columns in B
	maxMsgIDLen = 250
)

// writeField writes name: tokens folded at spaces, CRLF-terminated. The
// tokens are printable US-ASCII without spaces.
func writeField(b *bytes.Buffer, name string, tokens []string) {
	if len(tokens) == 0 {
		return
	}
	b.WriteString(name)
	b.WriteByte(':')
	col := len(name) + 1
	for i, t := range tokens {
		if len(t) > maxToken {
			t = t[:maxToken]
		}
		if i > 0 && col+1+len(t) > foldAt {
			b.WriteString("\r\n")
			col = 0
		}
		b.WriteByte(' ')
		b.WriteString(t)
		col += 1 + len(t)
	}
	b.WriteString("\r\n")
}

// encodeWords returns s as UTF-8 "B" encoded words (RFC 2047 §4.1, as
// mime.BEncoding writes them, but always encoded and split to fit) of at
// most wordOctets octets each, split at character boundaries, so that a
// reader decodes them back to exactly s.
func encodeWords(s string) []string {
	var out []string
	for len(s) > 0 {
		n := 0
		for n < len(s) {
			_, size := utf8.DecodeRuneInString(s[n:])
			if n+size > wordOctets && n > 0 {
				break
			}
			n += size
		}
		out = append(out, "=?UTF-8?B?"+b64(s[:n])+"?=")
		s = s[n:]
	}
	return out
}

// unstructuredTokens encodes an unstructured value (RFC 5322 §3.2.5):
// plain tokens when it is printable ASCII that cannot be mistaken for an
// encoded word, encoded words otherwise.
func unstructuredTokens(s string) []string {
	if isASCIIPrintable(s) && !strings.Contains(s, "=?") {
		return strings.Fields(s)
	}
	return encodeWords(s)
}

var atext = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+\-/=?^_{|}~ .]*$`)

// phraseTokens encodes a display name (RFC 5322 §3.2.5 phrase).
func phraseTokens(s string) []string {
	switch {
	case s == "":
		return nil
	case !isASCIIPrintable(s):
		return encodeWords(s)
	case atext.MatchString(s) && !strings.Contains(s, "=?") && !strings.HasPrefix(s, ".") && !strings.Contains(s, ".."):
		return strings.Fields(s)
	}
	q := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	if len(q) > maxToken {
		return encodeWords(s)
	}
	return []string{q}
}

// addrSpecOK reports whether an address can be written as is: printable
// ASCII without characters that would break out of the angle brackets.
func addrSpecOK(a string) bool {
	return a != "" && len(a) <= 320 && isASCIIPrintable(a) && !strings.ContainsAny(a, "<>()[]\\,; \"")
}

// addressTokens parses an address list (RFC 5322 §3.4) and rebuilds it.
// QUIRK: a list net/mail cannot parse is parsed piece by piece, and what
// still fails becomes an empty group named by the decoded text, so no
// undecoded bytes are copied and the field stays parseable.
func addressTokens(raw []byte, f *textFindings) []string {
	s := joinWordsUTF8(rawToUTF8(raw, f), f)
	p := mail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: nil}}
	list, err := p.ParseList(s)
	if err != nil {
		list = nil
		for _, piece := range strings.Split(s, ",") {
			if a, err := p.Parse(piece); err == nil {
				list = append(list, a)
			}
		}
	}
	var toks []string
	for i, a := range list {
		name := cleanText(a.Name, f)
		addr := cleanText(a.Address, f)
		if !addrSpecOK(addr) {
			// Not writable as an address: keep it readable as a group name.
			name = strings.TrimSpace(name + " " + addr)
			toks = append(toks, phraseTokens(name)...)
			toks[len(toks)-1] += ":;"
		} else {
			toks = append(toks, phraseTokens(name)...)
			toks = append(toks, "<"+addr+">")
		}
		if i < len(list)-1 {
			toks[len(toks)-1] += ","
		}
	}
	if len(toks) == 0 {
		text := cleanText(decodeWords(s, f), f)
		// An empty group (RFC 5322 §3.4) such as "undisclosed-recipients:;".
		text = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(text), ":;"))
		if text == "" {
			return nil
		}
		toks = phraseTokens(text)
		toks[len(toks)-1] += ":;"
	}
	return toks
}

// joinWordsUTF8 rewrites every run of encoded words in s as UTF-8 "B"
// words holding the same text, so that net/mail (which decodes word by
// word and knows only a few charsets) sees whole characters in UTF-8.
// The rewritten words may be longer than 75 octets; they are only read
// here, never written.
func joinWordsUTF8(s string, f *textFindings) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		i := strings.Index(s, "=?")
		if i < 0 {
			b.WriteString(s)
			break
		}
		// Find the run of words (separated by blanks only) starting at i.
		noEnd := false
		j := i
		runEnd := i
		for {
			_, _, n, ok := parseWord(s[j:])
			if !ok && n < 0 {
				noEnd = true
			}
			if !ok {
				break
			}
			runEnd = j + n
			k := runEnd
			for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
				k++
			}
			if !strings.HasPrefix(s[k:], "=?") {
				break
			}
			j = k
		}
		if runEnd == i {
			if noEnd {
				b.WriteString(s)
				break
			}
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		text := cleanText(decodeWords(s[i:runEnd], f), f)
		if text != "" {
			b.WriteString("=?UTF-8?B?" + b64(text) + "?=")
		}
		s = s[runEnd:]
	}
	return b.String()
}

var msgIDRe = regexp.MustCompile(`<[!-;=?-~]{1,250}>`)

// msgIDTokens keeps the msg-id tokens (RFC 5322 §3.6.4) of a value, at
// most max of them, so that threading survives.
func msgIDTokens(raw []byte, max int) []string {
	ids := msgIDRe.FindAll(raw, max)
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if len(id) <= maxMsgIDLen && bytes.IndexByte(id[1:len(id)-1], '<') < 0 && !scriptRe.Match(id) {
			out = append(out, string(id))
		}
	}
	return out
}

// asciiTokens keeps a value as printable ASCII tokens (Date, Received).
func asciiTokens(raw []byte) []string {
	s := asciiOnly(raw)
	if scriptRe.MatchString(s) {
		s = scriptRe.ReplaceAllString(s, "[$1")
	}
	return strings.Fields(s)
}

// rfc2231Param writes a parameter value as RFC 2231 §3–4 continuations
// in UTF-8 (name*0*=UTF-8”..; name*1*=..), each piece short enough for
// a 78-column line.
func rfc2231Param(name, value string) []string {
	const piece = 48
	var enc strings.Builder
	var parts []string
	for i := 0; i < len(value); {
		r, size := utf8.DecodeRuneInString(value[i:])
		var s string
		if r < 0x80 && isAttrChar(byte(r)) {
			s = string(rune(r))
		} else {
			var sb strings.Builder
			for _, c := range []byte(value[i : i+size]) {
				fmt.Fprintf(&sb, "%%%02X", c)
			}
			s = sb.String()
		}
		if enc.Len()+len(s) > piece {
			parts = append(parts, enc.String())
			enc.Reset()
		}
		enc.WriteString(s)
		i += size
	}
	if enc.Len() > 0 || len(parts) == 0 {
		parts = append(parts, enc.String())
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		prefix := ""
		if i == 0 {
			prefix = "UTF-8''"
		}
		out[i] = fmt.Sprintf("%s*%d*=%s%s", name, i, prefix, p)
	}
	return out
}

// isAttrChar is RFC 2231 attribute-char minus '%' and the tspecials.
func isAttrChar(c byte) bool {
	if c <= 0x20 || c >= 0x7f {
		return false
	}
	return !strings.ContainsRune(`*'%()<>@,;:\"/[]?=`, rune(c))
}
