package mail

import (
	"bufio"
	"bytes"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/mugai-project/mugai/sanitizer/detect"
	"github.com/mugai-project/mugai/sanitizer/text"
)

// textPart decodes one body text part (text/plain, or text/html through
// the HTML converter) into a new fragment.
func (w *walker) textPart(c *collector, mt string, params map[string]string, body io.Reader) error {
	br := bufio.NewReaderSize(body, 8<<10)
	head, _ := br.Peek(8 << 10)
	r, finding := decodeReader(params["charset"], head, br)
	switch finding {
	case "unknown-charset":
		w.stats.unknownCharset++
	case "charset-mismatch":
		w.stats.charsetMismatch++
	}
	if w.o.NFKC {
		r = norm.NFKC.Reader(r)
	}
	html := mt == "text/html"
	if !html {
		// The declared type is not trusted: a "text/plain" part whose
		// content is HTML goes through the HTML converter too.
		dr := bufio.NewReaderSize(r, 8<<10)
		dh, _ := dr.Peek(8 << 10)
		html = detect.Detect(bytes.NewReader(dh), int64(len(dh)), "", "").Kind == detect.HTML
		r = dr
	}
	buf := w.env.buffer()
	lw := &lineWriter{w: w, dst: buf, links: !html}
	frag := &fragment{buf: buf, html: html}
	c.frags = append(c.frags, frag) // closed with the collector, even on error
	if frag.html {
		w.stats.htmlBody = true
		urls, err := w.env.htmlToText(w.ctx, validUTF8Reader(r), lw, w.o.Links)
		if err != nil {
			return err
		}
		for _, u := range urls {
			w.addURL(u)
		}
	} else if _, err := copySmall(lw, r); err != nil {
		return err
	}
	if err := lw.Close(); err != nil {
		return err
	}
	frag.blank = !lw.nonBlank
	return nil
}

// lineWriter cleans body text line by line on its way to a buffer:
// line ends become CRLF, NUL and other controls (but TAB) are removed,
// "<script" is broken so that no mail reader can take it for markup,
// and in plain text URLs get the links policy. Lines longer than 64 KiB
// are cut into pieces at a character boundary.
type lineWriter struct {
	w        *walker
	dst      io.Writer
	links    bool // apply the links policy (plain text bodies)
	pending  []byte
	size     int64
	nonBlank bool
	lastCR   bool
}

const maxPending = 64 << 10

func (l *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexAny(p, "\r\n")
		if i < 0 {
			l.pending = append(l.pending, p...)
			p = nil
			if len(l.pending) > maxPending {
				cut := len(l.pending) - 1
				for cut > 0 && !utf8.RuneStart(l.pending[cut]) {
					cut--
				}
				if err := l.emit(l.pending[:cut], true); err != nil {
					return 0, err
				}
				l.pending = append(l.pending[:0], l.pending[cut:]...)
			}
			break
		}
		c := p[i]
		l.pending = append(l.pending, p[:i]...)
		p = p[i+1:]
		if c == '\n' && l.lastCR && i == 0 && len(l.pending) == 0 {
			// The LF of a CRLF split across writes or right after the CR.
			l.lastCR = false
			continue
		}
		if err := l.emit(l.pending, true); err != nil {
			return 0, err
		}
		l.pending = l.pending[:0]
		l.lastCR = c == '\r'
		if c == '\r' && len(p) > 0 && p[0] == '\n' {
			p = p[1:]
			l.lastCR = false
		}
	}
	return n, nil
}

// Close writes the last line.
func (l *lineWriter) Close() error {
	if len(l.pending) > 0 {
		if err := l.emit(l.pending, true); err != nil {
			return err
		}
		l.pending = nil
	}
	return nil
}

// scriptRe finds text that a mail reader could take for the start of an
// element that runs, loads or submits something ("<script", "</iframe",
// "<base href"): its "<" is replaced wherever text is written.
var scriptRe = regexp.MustCompile(`(?i)<(\s*/?\s*(?:script|iframe|frame|frameset|object|embed|applet|form|input|button|meta|link|base|style|img|image|svg|math|html|head|body|video|audio|source|a)(?:[\s/>]|$)|!doctype|!\[cdata\[|\?xml)`)

// schemeRe finds script URL schemes in body text, which a reader that
// turns URLs into links could make clickable; the colon becomes "[:]".
var schemeRe = regexp.MustCompile(`(?i)((?:java|vb|live)script\s*):`)

func (l *lineWriter) emit(line []byte, eol bool) error {
	s := cleanBodyLine(string(line), &l.w.stats)
	// Each pattern needs its "<" or ":": most lines have neither, and
	// skip the regexps.
	if strings.IndexByte(s, '<') >= 0 && scriptRe.MatchString(s) {
		l.w.stats.scriptTags += len(scriptRe.FindAllStringIndex(s, -1))
		s = scriptRe.ReplaceAllString(s, "＜$1")
	}
	if strings.IndexByte(s, ':') >= 0 && schemeRe.MatchString(s) {
		l.w.stats.scriptTags += len(schemeRe.FindAllStringIndex(s, -1))
		s = schemeRe.ReplaceAllString(s, "$1[:]")
	}
	if l.links {
		s = l.w.applyLinks(s)
	}
	if strings.TrimSpace(s) != "" {
		l.nonBlank = true
	}
	if eol {
		s += "\r\n"
	}
	l.size += int64(len(s))
	if l.size > l.w.o.MaxBodyBytes {
		return errLimit("the body text is larger than %d bytes", l.w.o.MaxBodyBytes)
	}
	_, err := io.WriteString(l.dst, s)
	return err
}

// cleanBodyLine removes C0/C1 controls but TAB, DEL, U+FFFE/U+FFFF and
// invalid UTF-8.
func cleanBodyLine(s string, st *walkStats) string {
	if !needsCleaning(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == 0:
			st.nul++
		case r < 0x20 && r != '\t', r == 0x7f, r >= 0x80 && r < 0xa0, r == 0xfffe, r == 0xffff:
			st.controls++
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// needsCleaning reports whether cleanBodyLine would change s.
func needsCleaning(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || r < 0xa0 || r == 0xfffe || r == 0xffff {
			return true
		}
		i += size
	}
	return false
}

// applyLinks applies the links policy to the URLs in one line of text,
// the same way as the HTML converter does to the text of an HTML body.
func (w *walker) applyLinks(s string) string {
	return text.ApplyLinks(s, w.o.Links, func(u string) {
		w.addURL(u)
		if w.o.Links != LinksKeep {
			w.stats.linksChanged++
		}
	})
}

func (w *walker) addURL(u string) {
	if len(w.urls) >= 1000 || w.seenURL[u] {
		return
	}
	w.seenURL[u] = true
	w.urls = append(w.urls, u)
}
