package held

import (
	"bufio"
	"io"
	"strings"
	"unicode"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// Subject reads the Subject of a message's header, decoded (RFC 2047)
// and cleaned for showing (Clean). The header is the sender's: it is
// read leniently, from its first 256 KiB, and only ever shown escaped.
func Subject(msg io.Reader) string {
	h, err := textproto.ReadHeader(bufio.NewReader(io.LimitReader(msg, 256<<10)))
	if err != nil && h.Len() == 0 {
		return ""
	}
	mh := gomail.Header{Header: message.Header{Header: h}}
	subj, err := mh.Subject()
	if err != nil {
		subj = mh.Get("Subject")
	}
	return Clean(subj)
}

// Clean drops controls and bidi overrides and bounds a string to 200
// characters, marking the cut with "…".
func Clean(s string) string {
	s = strings.Map(func(c rune) rune {
		if unicode.IsControl(c) || unicode.Is(unicode.Bidi_Control, c) {
			return -1
		}
		return c
	}, s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}
