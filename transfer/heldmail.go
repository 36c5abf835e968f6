package transfer

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/mugai-project/mugai/internal/catalog"
	"github.com/mugai-project/mugai/internal/held"
	"github.com/mugai-project/mugai/internal/ids"
)

// The mails the held-item pages send. Each is one mugai made: its own
// header, words from the catalog, and either nothing of the message
// (notifications: a link only) or what the engine rebuilt (an unlocked
// message). The one exception is releasedMail, an approver's audited
// decision.

// mailHeader starts a mail from mugai to rcpt about a message whose
// Message-ID is inReplyTo (threaded, RFC 5322 3.6.4), "" if unknown.
func (s *Server) mailHeader(rcpt, subject, inReplyTo, itemID string) string {
	host := s.opts.MailHost
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s <postmaster@%s>\r\n", mime.BEncoding.Encode("UTF-8", catalog.Text(catalog.Japanese, "relay.from_name")), host)
	fmt.Fprintf(&b, "To: <%s>\r\n", rcpt)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.BEncoding.Encode("UTF-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", s.opts.Now().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", ids.Token(), host)
	if inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: %s\r\nReferences: %s\r\n", inReplyTo, inReplyTo)
	}
	fmt.Fprintf(&b, "X-Mugai-ID: %s\r\n", itemID)
	b.WriteString("Auto-Submitted: auto-generated\r\n")
	return b.String()
}

// unlockedMail is the message the engine rebuilt with the password, as a
// new mail to the recipient: mugai's header, then the rebuilt message's
// MIME fields and body as they are.
func (s *Server) unlockedMail(v *heldView, rebuilt io.Reader, lang string) (io.Reader, error) {
	br := bufio.NewReader(rebuilt)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return nil, fmt.Errorf("reading the rebuilt message: %w", err)
	}
	// The subject as mugai rebuilt it (RFC 2047 words decoded).
	mh := gomail.Header{Header: message.Header{Header: h}}
	orig, err := mh.Subject()
	if err != nil {
		orig = v.Subject
	}
	subj := catalog.Text(catalog.Japanese, "held.mail.unlocked_subject", held.Clean(orig))
	var b strings.Builder
	b.WriteString(s.mailHeader(v.Rcpt, subj, h.Get("Message-Id"), v.Item.ID))
	for _, k := range []string{"MIME-Version", "Content-Type", "Content-Transfer-Encoding", "X-Mugai-Sanitized"} {
		if f := h.Get(k); f != "" {
			fmt.Fprintf(&b, "%s: %s\r\n", k, f)
		}
	}
	b.WriteString("\r\n")
	return io.MultiReader(strings.NewReader(b.String()), br), nil
}

// releasedMail is the original message, as it came in, with a field
// naming the approver and the request (the audited release).
func releasedMail(approver, requestID string, original io.Reader) io.Reader {
	return io.MultiReader(strings.NewReader(fmt.Sprintf("X-Mugai-Released-By: %s; request=%s\r\n", headerSafe(approver), requestID)), original)
}

// noticeMail is a short notification in Japanese and English with a
// link and no content of the message: key's words with args.
func (s *Server) noticeMail(rcpt, itemID, subjectKey, bodyKey string, args ...any) io.Reader {
	var b strings.Builder
	b.WriteString(s.mailHeader(rcpt, "[mugai] "+catalog.Text(catalog.Japanese, subjectKey)+" / "+catalog.Text(catalog.English, subjectKey), "", itemID))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	body := catalog.Text(catalog.Japanese, bodyKey, args...) + "\n\n" + catalog.Text(catalog.English, bodyKey, args...) + "\n"
	enc := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(body, "\n", "\r\n")))
	for len(enc) > 76 { // RFC 2045 6.8
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return strings.NewReader(b.String())
}

// headerSafe keeps a name printable ASCII for a header field.
func headerSafe(s string) string {
	return strings.Map(func(c rune) rune {
		if c < 0x21 || c > 0x7e || c == ';' {
			return '_'
		}
		return c
	}, s)
}
