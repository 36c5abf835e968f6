package detect

import (
	"bytes"
	"strings"
)

// messageHeaders are RFC 5322 §3.6 field names; two of them in the first
// lines of a file, or an mbox "From " line, make it a message.
var messageHeaders = []string{
	"from", "to", "cc", "subject", "date", "message-id", "received", "return-path",
	"mime-version", "content-type", "reply-to", "sender", "delivered-to", "x-mailer",
	"dkim-signature", "authentication-results", "in-reply-to", "references",
}

// isMessage reports whether head starts with an mbox "From " line or a
// header block (RFC 5322 §2.2) of which two fields are message fields.
// Lines may end in CRLF, LF or CR alone (QUIRK: old Mac OS mailers).
func isMessage(head []byte) bool {
	head = head[:min(len(head), 8192)]
	if bytes.HasPrefix(head, []byte("From ")) {
		return true
	}
	known := 0
	for i := 0; i < 40 && len(head) > 0; i++ {
		var l []byte
		l, head = cutLine(head)
		if len(l) == 0 {
			break
		}
		if l[0] == ' ' || l[0] == '\t' {
			continue
		}
		colon := bytes.IndexByte(l, ':')
		if colon <= 0 {
			if i == 0 {
				return false
			}
			break
		}
		field := strings.ToLower(string(l[:colon]))
		for _, h := range messageHeaders {
			if field == h {
				known++
				break
			}
		}
	}
	return known >= 2
}

// cutLine returns the first line of b without its end (CRLF, LF or CR)
// and the rest.
func cutLine(b []byte) (line, rest []byte) {
	i := bytes.IndexAny(b, "\r\n")
	if i < 0 {
		return b, nil
	}
	line, rest = b[:i], b[i+1:]
	if b[i] == '\r' && len(rest) > 0 && rest[0] == '\n' {
		rest = rest[1:]
	}
	return line, rest
}

// binaryMessage is the kind of content that charset.Sniff refused as not
// text: a message when its header says so, else Unknown.
//
// QUIRK: real mail carries what no text file does: raw 8-bit bytes of
// two charsets (a Shift_JIS display name over a UTF-8 body) and NUL
// bytes. The mail handler decodes each header field and body part on its
// own and removes the NULs. A name with a script extension keeps such
// content Unknown: the name only ever makes a verdict stricter.
func binaryMessage(head []byte, name string) Kind {
	if isMessage(head) && RunnableExt(name) == "" {
		return EML
	}
	return Unknown
}
