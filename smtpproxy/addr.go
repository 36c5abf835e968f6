package smtpproxy

import (
	"strings"
)

// Recipient addresses. mugai routes by the domain alone (RFC 5321 2.3.11:
// the local part is interpreted only by the host of the domain; 3.6.1:
// mugai relays only to the domains it serves), and
// refuses the local-part conventions that route a second time after it,
// which an LGWAN MTA or a gateway behind it may still honour:
//   - "@" in a local part ("victim@gmail.com"@lgwan, or victim@gmail.com@lgwan
//     as go-smtp hands it over once the quotes are gone): an address inside
//     an address;
//   - "%", the percent hack that old gateways honour: user%host@relay;
//   - "!", UUCP bang paths (RFC 976): host!user@relay.
//
// Source routes (@a,@b:user@c) are ignored as RFC 5321 4.1.1.3 and
// appendix C allow: go-smtp drops them before mugai sees the address.

// splitRcpt splits a recipient as go-smtp hands it over (quotes and
// backslashes already removed from the local part) at its last "@" and
// normalizes the domain: lower case, no trailing dot (RFC 5321 2.4:
// domains are not case-sensitive; a final dot is the DNS root).
func splitRcpt(to string) (local, domain string, ok bool) {
	at := strings.LastIndexByte(to, '@')
	if at <= 0 || at == len(to)-1 {
		return "", "", false
	}
	domain = strings.ToLower(strings.TrimSuffix(to[at+1:], "."))
	if domain == "" || strings.ContainsAny(domain, " \t\r\n<>\\\"@") {
		return "", "", false
	}
	return to[:at], domain, true
}

// routesOn reports whether a local part carries a further route.
func routesOn(local string) bool { return strings.ContainsAny(local, "@%!") }

// quoteLocal writes a local part as RFC 5321 4.1.2 wants it on the wire:
// a Dot-string as it is, anything else as a Quoted-string, so that a
// recipient that came quoted is delivered quoted. ok is false when the
// local part holds what not even a Quoted-string may carry (control
// characters: qtextSMTP and quoted-pairSMTP are %d32-126, and UTF-8 by
// RFC 6531 3.3).
func quoteLocal(local string) (string, bool) {
	for _, c := range local {
		if c < 0x20 || c == 0x7f {
			return "", false
		}
	}
	if isDotString(local) {
		return local, true
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range local {
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	b.WriteByte('"')
	return b.String(), true
}

// isDotString reports whether s is a Dot-string (RFC 5321 4.1.2): atoms
// of atext (RFC 5322 3.2.3, with UTF-8 by RFC 6531 3.3) joined by single
// dots.
func isDotString(s string) bool {
	if s == "" {
		return false
	}
	for _, atom := range strings.Split(s, ".") {
		if atom == "" {
			return false
		}
		for _, c := range atom {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80 || strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", c)) {
				return false
			}
		}
	}
	return true
}
