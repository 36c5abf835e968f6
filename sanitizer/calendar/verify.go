package calendar

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"
)

// maxVerifyBytes bounds the output the check reads.
const maxVerifyBytes = 64 << 20

// The names the check accepts: the components and properties a rebuilt
// calendar may hold, written out again here rather than taken from the
// rebuilder's tables, so that a mistake in those is caught.
var (
	verifyComponents = map[string]bool{"VCALENDAR": true, "VEVENT": true, "VTODO": true, "VTIMEZONE": true, "STANDARD": true, "DAYLIGHT": true}
	verifyProps      = map[string]bool{
		"VERSION": true, "PRODID": true, "METHOD": true, "CALSCALE": true,
		"UID": true, "DTSTAMP": true, "DTSTART": true, "DTEND": true, "DUE": true, "DURATION": true,
		"RRULE": true, "RDATE": true, "EXDATE": true, "RECURRENCE-ID": true, "SUMMARY": true, "LOCATION": true,
		"DESCRIPTION": true, "COMMENT": true, "CATEGORIES": true, "ORGANIZER": true, "ATTENDEE": true,
		"STATUS": true, "TRANSP": true, "CLASS": true, "SEQUENCE": true, "PRIORITY": true, "CREATED": true,
		"LAST-MODIFIED": true, "GEO": true, "TZID": true, "TZOFFSETFROM": true, "TZOFFSETTO": true, "TZNAME": true,
	}
	verifyParams = map[string]bool{"LANGUAGE": true, "TZID": true, "VALUE": true, "CN": true, "ROLE": true, "PARTSTAT": true, "RSVP": true, "CUTYPE": true}
	// what no rebuilt value holds, in any letter case
	verifyBad = regexp.MustCompile(`(?i)\b(javascript|vbscript|livescript|data|file)\s*:|<[a-z/!?]`)
)

// VerifyCalendar checks a rebuilt calendar with code of its own: UTF-8
// without control characters but TAB; every line ends in CRLF and is at
// most 75 octets (RFC 5545 §3.1); unfolded, the first line is
// BEGIN:VCALENDAR and the last END:VCALENDAR, BEGIN and END pair up and
// name allowed components only, every property and parameter name is on
// the allow-list (no ATTACH, no X- names, no ALTREP or DIR), ORGANIZER
// and ATTENDEE are mailto: addresses, and no value holds a script scheme
// or the start of a tag.
func VerifyCalendar(ctx context.Context, r io.ReaderAt, size int64) error {
	if size > maxVerifyBytes {
		return fmt.Errorf("verify calendar: %d bytes", size)
	}
	b := make([]byte, size)
	if _, err := r.ReadAt(b, 0); err != nil && err != io.EOF {
		return err
	}
	if !utf8.Valid(b) {
		return errors.New("verify calendar: not UTF-8")
	}
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		return errors.New("verify calendar: the last line does not end in CRLF")
	}
	var logical []string
	for i, l := range strings.Split(string(b[:len(b)-2]), "\r\n") {
		if len(l) > maxOctets {
			return fmt.Errorf("verify calendar: line %d is %d octets", i+1, len(l))
		}
		for _, c := range l {
			if c < 0x20 && c != '\t' || c == 0x7f {
				return fmt.Errorf("verify calendar: line %d holds control character %U", i+1, c)
			}
		}
		switch {
		case strings.HasPrefix(l, " "):
			if len(logical) == 0 {
				return errors.New("verify calendar: starts with a continuation line")
			}
			logical[len(logical)-1] += l[1:]
		case l == "":
			return fmt.Errorf("verify calendar: line %d is empty", i+1)
		default:
			logical = append(logical, l)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(logical) < 2 || logical[0] != "BEGIN:VCALENDAR" || logical[len(logical)-1] != "END:VCALENDAR" {
		return errors.New("verify calendar: not one VCALENDAR")
	}
	var open []string
	for _, l := range logical {
		if err := verifyLine(l, &open); err != nil {
			return fmt.Errorf("verify calendar: %w", err)
		}
	}
	if len(open) != 0 {
		return errors.New("verify calendar: a component is not closed")
	}
	return nil
}

// verifyLine checks one unfolded line; open is the stack of components.
func verifyLine(l string, open *[]string) error {
	end := headEnd(l)
	if end <= 0 {
		return fmt.Errorf("%.40q is not a content line", l)
	}
	head, value := l[:end], l[end+1:]
	name, params, _ := strings.Cut(head, ";")
	switch name {
	case "BEGIN":
		if !verifyComponents[value] {
			return fmt.Errorf("component %s", value)
		}
		*open = append(*open, value)
		return nil
	case "END":
		if n := len(*open); n == 0 || (*open)[n-1] != value {
			return fmt.Errorf("END:%s does not close a component", value)
		}
		*open = (*open)[:len(*open)-1]
		return nil
	}
	if !verifyProps[name] {
		return fmt.Errorf("property %s", name)
	}
	if params != "" {
		for _, p := range splitParams(params) {
			pn, _, ok := strings.Cut(p, "=")
			if !ok || !verifyParams[pn] {
				return fmt.Errorf("%s: parameter %.20q", name, p)
			}
		}
	}
	if (name == "ORGANIZER" || name == "ATTENDEE") && !strings.HasPrefix(value, "mailto:") {
		return fmt.Errorf("%s is not a mailto: address", name)
	}
	if verifyBad.MatchString(value) || verifyBad.MatchString(params) {
		return fmt.Errorf("%s holds a script scheme or a tag", name)
	}
	return nil
}

// headEnd returns the index of the colon that ends the name and
// parameters of l, outside double quotes.
func headEnd(l string) int {
	quoted := false
	for i := 0; i < len(l); i++ {
		switch l[i] {
		case '"':
			quoted = !quoted
		case ':':
			if !quoted {
				return i
			}
		}
	}
	return -1
}

// splitParams splits "A=1;B="x;y"" at the semicolons outside quotes.
func splitParams(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ';':
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
