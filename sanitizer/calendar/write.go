package calendar

import (
	"bufio"
	"io"
	"strings"
	"unicode/utf8"
)

// prodID names mugai as the calendar's producer (§3.7.3).
const prodID = "-//mugai//sanitized calendar//JA"

// maxOctets is the longest line, without its CRLF (§3.1).
const maxOctets = 75

// write writes cal (a rebuilt VCALENDAR) as UTF-8 with CRLF line ends,
// folded at 75 octets without splitting a character.
func write(w io.Writer, cal *component) error {
	bw := bufio.NewWriter(w)
	cw := &contentWriter{w: bw}
	cw.line("BEGIN:VCALENDAR")
	cw.line("VERSION:2.0")
	cw.line("PRODID:" + prodID)
	cw.props(cal.props)
	for _, c := range cal.children {
		cw.component(c)
	}
	cw.line("END:VCALENDAR")
	if cw.err != nil {
		return cw.err
	}
	return bw.Flush()
}

type contentWriter struct {
	w   *bufio.Writer
	err error
}

func (cw *contentWriter) component(c *component) {
	cw.line("BEGIN:" + c.name)
	cw.props(c.props)
	for _, ch := range c.children {
		cw.component(ch)
	}
	cw.line("END:" + c.name)
}

func (cw *contentWriter) props(ps []prop) {
	for _, p := range ps {
		var b strings.Builder
		b.WriteString(p.name)
		for _, pa := range p.params {
			b.WriteString(";" + pa.name + "=")
			for i, v := range pa.values {
				if i > 0 {
					b.WriteByte(',')
				}
				if strings.ContainsAny(v, ";:, ") || !isASCII(v) {
					b.WriteString(`"` + v + `"`) // paramText left no DQUOTE in v
				} else {
					b.WriteString(v)
				}
			}
		}
		b.WriteString(":" + p.value)
		cw.line(b.String())
	}
}

// line writes one content line, folded (§3.1): after each 75 octets
// (74 on continuation lines, after their leading space) at a character
// boundary, CRLF and a space.
func (cw *contentWriter) line(s string) {
	if cw.err != nil {
		return
	}
	limit := maxOctets
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		cw.w.WriteString(s[:cut])
		cw.w.WriteString("\r\n ")
		s = s[cut:]
		limit = maxOctets - 1
	}
	cw.w.WriteString(s)
	_, cw.err = cw.w.WriteString("\r\n")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
