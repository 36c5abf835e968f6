package calendar

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode"
)

// The value grammars of RFC 5545 §3.3 that the rebuilt calendar keeps.
var (
	reDate     = regexp.MustCompile(`^[0-9]{8}$`)                                                                 // §3.3.4
	reDateTime = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z?$`)                                                      // §3.3.5
	reDuration = regexp.MustCompile(`^[+-]?P(?:[0-9]+W|(?:[0-9]+D)?(?:T(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+S)?)?)$`) // §3.3.6
	reOffset   = regexp.MustCompile(`^[+-][0-9]{4}(?:[0-9]{2})?$`)                                                // §3.3.14
	reInteger  = regexp.MustCompile(`^[+-]?[0-9]{1,9}$`)                                                          // §3.3.8
	reGeo      = regexp.MustCompile(`^[+-]?[0-9]{1,3}(?:\.[0-9]{1,9})?;[+-]?[0-9]{1,3}(?:\.[0-9]{1,9})?$`)
	reToken    = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
	// One part of a recurrence rule (§3.3.10): its name, then the
	// characters its values are written with.
	reRulePart = regexp.MustCompile(`^(FREQ|UNTIL|COUNT|INTERVAL|BYSECOND|BYMINUTE|BYHOUR|BYDAY|BYMONTHDAY|BYYEARDAY|BYWEEKNO|BYMONTH|BYSETPOS|WKST)=([A-Z0-9+,-]{1,200}|[0-9]{8}(?:T[0-9]{6}Z?)?)$`)
)

// dateList checks a DATE, DATE-TIME or comma-separated list of them.
func dateList(v string, list bool) (string, bool) {
	parts := []string{v}
	if list {
		parts = strings.Split(v, ",")
	}
	for _, p := range parts {
		if !reDate.MatchString(p) && !reDateTime.MatchString(p) {
			return "", false
		}
	}
	return strings.Join(parts, ","), true
}

// rrule checks a recurrence rule part by part and rebuilds it upper-case.
func rrule(v string) (string, bool) {
	up := strings.ToUpper(v)
	parts := strings.Split(up, ";")
	if len(parts) > 20 || !strings.Contains(";"+up, ";FREQ=") {
		return "", false
	}
	for _, p := range parts {
		if !reRulePart.MatchString(p) {
			return "", false
		}
	}
	return strings.Join(parts, ";"), true
}

// calAddress keeps a mailto: address (§3.3.3) that parses as one mail
// address; anything else (a web or script URL) is refused.
func calAddress(v string) (string, bool) {
	if len(v) < 8 || !strings.EqualFold(v[:7], "mailto:") {
		return "", false
	}
	a, err := mail.ParseAddress(v[7:])
	if err != nil || a.Name != "" || strings.ContainsAny(a.Address, "\"\\<>() \t") {
		return "", false
	}
	return "mailto:" + a.Address, true
}

// unescapeText undoes TEXT escaping (§3.3.11): \\ \; \, \n \N.
func unescapeText(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\\' && i+1 < len(v) {
			i++
			switch v[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(v[i])
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// escapeText writes TEXT escaping (§3.3.11).
func escapeText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`)
	return r.Replace(s)
}

// cleanText removes control characters (but line feeds when lines is
// set), bidi overrides and non-characters.
func cleanText(s string, lines bool) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' && lines, r == '\t':
			return r
		case r == '\n':
			return ' '
		case unicode.IsControl(r), r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
			r == 0x200e, r == 0x200f, r == 0xfeff, r == 0xfffe, r == 0xffff, r == unicode.ReplacementChar:
			return -1
		}
		return r
	}, s)
}

// paramText makes a parameter value (a common name, a time zone ID) that
// needs no escaping in a quoted string (§3.1: no DQUOTE, no controls),
// with script schemes and tag starts broken.
func paramText(s string) string {
	s = defangText(cleanText(s, false))
	s = strings.NewReplacer(`"`, "'", "\t", " ").Replace(s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200])
	}
	return strings.TrimSpace(s)
}

// scriptScheme finds the URL schemes that run or embed content when a
// calendar program links them: they are broken, not defanged, as no
// reader needs them.
var scriptScheme = regexp.MustCompile(`(?i)\b(javascript|vbscript|livescript|data|file)(\s*):`)

// markupStart finds what a reader could take for the start of a tag.
var markupStart = regexp.MustCompile(`<([A-Za-z/!?])`)

// defangText breaks script schemes and tag starts in text.
func defangText(s string) string {
	s = scriptScheme.ReplaceAllString(s, "$1$2[:]")
	return markupStart.ReplaceAllString(s, "＜$1")
}
