package smtpproxy

import (
	"bufio"
	"io"
	"mime"
	"strings"

	gmcharset "github.com/emersion/go-message/charset"
)

// The parts of a DSN (RFC 3464) taken from the message it reports on.
// They come from the outbox copy, the message as mugai rebuilt it (the
// original is in the quarantine), never from the bytes as received.

// maxDSNHeaders bounds the returned header section (RFC 6522 3: the
// headers are enough to identify the message).
const maxDSNHeaders = 16 << 10

// dsnHeaderFields are the fields a DSN returns: those that identify the
// message to its sender, not its path or its other recipients.
var dsnHeaderFields = map[string]bool{
	"date": true, "from": true, "sender": true, "subject": true,
	"message-id": true, "in-reply-to": true, "references": true,
}

// reportedHeaders returns the identifying header fields of an outbox
// entry's message (dsnHeaderFields) for the text/rfc822-headers part of
// its DSN (RFC 6522 4), and its Subject decoded for the human-readable
// part. Only printable ASCII lines are kept (a field with anything else
// is dropped whole), each under RFC 5322 2.1.1's 998, within
// maxDSNHeaders.
func (o *outbox) reportedHeaders(id string) (headers, subject string) {
	f, err := o.open(id)
	if err != nil {
		return "", ""
	}
	defer f.Close()
	br := bufio.NewReader(io.LimitReader(f, 4*maxDSNHeaders))
	var b strings.Builder
	var rawSubject string
	// field is the field being read, its lines joined by CRLF; ok says
	// whether it is kept so far.
	var field strings.Builder
	ok := false
	flush := func() {
		if ok && b.Len()+field.Len() <= maxDSNHeaders {
			b.WriteString(field.String())
			if name, value, _ := strings.Cut(field.String(), ":"); strings.EqualFold(name, "subject") {
				rawSubject = strings.Join(strings.Fields(value), " ")
			}
		}
		field.Reset()
	}
	for {
		line, err := br.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line == "" || err != nil {
			break
		}
		if line[0] != ' ' && line[0] != '\t' {
			flush()
			name, _, _ := strings.Cut(line, ":")
			ok = dsnHeaderFields[strings.ToLower(name)]
		}
		ok = ok && printableASCII(line) && len(line) <= 998
		field.WriteString(line + "\r\n")
	}
	flush()
	dec := mime.WordDecoder{CharsetReader: gmcharset.Reader}
	subject, err = dec.DecodeHeader(rawSubject)
	if err != nil {
		subject = rawSubject
	}
	subject = oneLine(safeAddr(subject))
	if len(subject) > 200 {
		subject = strings.ToValidUTF8(subject[:200], "")
	}
	return b.String(), subject
}

// printableASCII reports whether s holds only printable ASCII and tabs.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

// diagnosticCode is a recipient's Diagnostic-Code field value (RFC 3464
// 2.3.6): the downstream's own reply when there is one ("smtp; 550 5.1.1
// …", the last one on record when the queue lifetime ran out), else
// mugai's own words under an X- type (a connection that never answered).
func diagnosticCode(reply, lastError string) string {
	for _, r := range []string{reply, lastError} {
		if isSMTPReply(r) {
			return "smtp; " + oneLine(r)
		}
	}
	return "X-mugai; " + oneLine(reply)
}

// isSMTPReply reports whether s starts with a reply code (RFC 5321 4.2).
func isSMTPReply(s string) bool {
	return len(s) >= 4 && s[0] >= '2' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' && s[3] == ' '
}
