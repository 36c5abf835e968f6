package smtpproxy

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"

	"github.com/mugai-project/mugai/internal/catalog"
	"github.com/mugai-project/mugai/internal/ids"
)

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

func sha256Section(r *io.SectionReader) string {
	h := sha256.New()
	io.Copy(h, io.NewSectionReader(r, 0, r.Size()))
	return hex.EncodeToString(h.Sum(nil))
}

// outboundHeader is prepended to the sanitized message: our trace field
// toward LGWAN and the message ID for support.
func (r *Relay) outboundHeader(env *Envelope) string {
	return fmt.Sprintf("Received: by %s (mugai, sanitized) id %s;\r\n\t%s\r\nX-Mugai-ID: %s\r\n",
		r.opts.Hostname, env.ID, time.Now().UTC().Format(time.RFC1123Z), env.ID)
}

// safeAddr shows an envelope address in a generated body: printable,
// bounded, never raw input structure.
func safeAddr(s string) string {
	if s == "" {
		return "<>"
	}
	s = strings.Map(func(c rune) rune {
		if c < 0x20 || c == 0x7f || c == '<' || c == '>' {
			return -1
		}
		return c
	}, s)
	if len(s) > 254 {
		s = s[:254]
	}
	return s
}

func messageID(host string) string {
	return "<" + ids.Token() + "@" + host + ">"
}

// base64Lines encodes a UTF-8 body in 76-character lines (RFC 2045 6.8).
func base64Lines(s string) string {
	enc := base64.StdEncoding.EncodeToString([]byte(s))
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("\r\n")
	return b.String()
}

// noticeBody is the text the recipients get instead of a message that
// could not be made harmless. Nothing from the message itself is in it:
// only the envelope sender (bounded, printable), times, the reason code,
// the quarantine ID and the link to the held item's page.
func (r *Relay) noticeBody(env *Envelope, v verdict) string {
	ja, en := catalog.Japanese, catalog.English
	reasonJA, reasonEN := catalog.Text(ja, "relay.withheld.internal"), catalog.Text(en, "relay.withheld.internal")
	if v.report != nil && len(v.report.Reasons) > 0 {
		reasonJA, reasonEN = v.report.Reasons[0].Text(ja), v.report.Reasons[0].Text(en)
	}
	if v.reason == "no-handler" {
		reasonJA, reasonEN = catalog.Text(ja, "relay.withheld.no_handler"), catalog.Text(en, "relay.withheld.no_handler")
	}
	when := env.Received.In(jst).Format("2006-01-02 15:04:05 MST")
	body := catalog.Text(ja, "relay.withheld.body", env.ID, safeAddr(env.From), when, reasonJA, v.reason) +
		"\n" + rule + "\n" +
		catalog.Text(en, "relay.withheld.body", env.ID, safeAddr(env.From), env.Received.UTC().Format(time.RFC1123Z), reasonEN, v.reason)
	if r.opts.HeldLink != nil {
		if u := r.opts.HeldLink(env.ID); u != "" {
			body += "\n" + rule + "\n" + catalog.Text(ja, "held.notice_link") + "\n  " + u + "\n" + catalog.Text(en, "held.notice_link") + "\n"
		}
	}
	return body
}

// noticeMessage is the mail of the notice body.
func (r *Relay) noticeMessage(env *Envelope, body string) string {
	ja, en := catalog.Japanese, catalog.English
	subject := mime.BEncoding.Encode("UTF-8", "[mugai] "+catalog.Text(ja, "relay.withheld.subject")+" / "+catalog.Text(en, "relay.withheld.subject"))
	var b strings.Builder
	fmt.Fprintf(&b, "Received: by %s (mugai, notice) id %s;\r\n\t%s\r\n", r.opts.Hostname, env.ID, time.Now().UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: %s <postmaster@%s>\r\n", mime.BEncoding.Encode("UTF-8", catalog.Text(catalog.Japanese, "relay.from_name")), r.opts.Hostname)
	b.WriteString("To: undisclosed-recipients:;\r\n")
	fmt.Fprintf(&b, "Subject: %s\r\n", subject)
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: %s\r\n", messageID(r.opts.Hostname))
	fmt.Fprintf(&b, "X-Mugai-ID: %s\r\n", env.ID)
	b.WriteString("Auto-Submitted: auto-generated\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	b.WriteString(base64Lines(crlf(body)))
	return b.String()
}

var jst = time.FixedZone("JST", 9*3600)

// rule separates the Japanese and the English text of a generated mail.
const rule = "----------------------------------------------------------------------"

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// dsnMessage is a delivery status notification (RFC 3464) in a
// multipart/report (RFC 6522): a Japanese and English explanation naming
// the message by its Subject, the machine-readable status with each
// recipient's Diagnostic-Code, and the message's headers
// (text/rfc822-headers, from mugai's rebuilt copy: dsnparts.go). The
// message itself is not returned: it is held in the quarantine.
func (r *Relay) dsnMessage(e *Entry, failed []*RcptState) string {
	boundary := "mugai-dsn-" + e.ID
	headers, subject := r.outbox.reportedHeaders(e.ID)
	var human strings.Builder
	human.WriteString(catalog.Text(catalog.Japanese, "relay.dsn.intro") + "\n\n")
	if subject != "" {
		human.WriteString(catalog.Text(catalog.Japanese, "relay.dsn.subject_line", subject) + "\n\n")
	}
	for _, rc := range failed {
		fmt.Fprintf(&human, "  %s: %s\n", safeAddr(rc.Addr), rc.Reply)
	}
	fmt.Fprintf(&human, "\n%s\n\n", catalog.Text(catalog.Japanese, "relay.dsn.queue_id", e.ID))
	human.WriteString(rule + "\n")
	human.WriteString(catalog.Text(catalog.English, "relay.dsn.intro") + "\n\n")
	if subject != "" {
		human.WriteString(catalog.Text(catalog.English, "relay.dsn.subject_line", subject) + "\n\n")
	}
	for _, rc := range failed {
		fmt.Fprintf(&human, "  %s: %s\n", safeAddr(rc.Addr), rc.Reply)
	}
	fmt.Fprintf(&human, "\n%s\n", catalog.Text(catalog.English, "relay.dsn.queue_id", e.ID))

	var st strings.Builder
	fmt.Fprintf(&st, "Reporting-MTA: dns; %s\r\n", r.opts.Hostname)
	fmt.Fprintf(&st, "X-Mugai-Queue-ID: %s\r\n", e.ID)
	fmt.Fprintf(&st, "Arrival-Date: %s\r\n", e.Created.Format(time.RFC1123Z))
	for _, rc := range failed {
		st.WriteString("\r\n")
		fmt.Fprintf(&st, "Final-Recipient: rfc822; %s\r\n", safeAddr(rc.Addr))
		st.WriteString("Action: failed\r\n")
		fmt.Fprintf(&st, "Status: %s\r\n", dsnStatus(rc.Reply))
		if rem := r.opts.Downstream.Addr; rem != "" {
			fmt.Fprintf(&st, "Remote-MTA: dns; %s\r\n", rem)
		}
		fmt.Fprintf(&st, "Diagnostic-Code: %s\r\n", diagnosticCode(rc.Reply, e.LastError))
		fmt.Fprintf(&st, "Last-Attempt-Date: %s\r\n", time.Now().Format(time.RFC1123Z))
	}

	var b strings.Builder
	fmt.Fprintf(&b, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n", r.opts.Hostname)
	fmt.Fprintf(&b, "To: <%s>\r\n", safeAddr(e.OrigFrom))
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.BEncoding.Encode("UTF-8", catalog.Text(catalog.Japanese, "relay.dsn.subject")+" / "+catalog.Text(catalog.English, "relay.dsn.subject")))
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: %s\r\n", messageID(r.opts.Hostname))
	b.WriteString("Auto-Submitted: auto-replied\r\n")
	b.WriteString("MIME-Version: 1.0\r\n")
	fmt.Fprintf(&b, "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"%s\"\r\n\r\n", boundary)
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n", boundary)
	b.WriteString(base64Lines(crlf(human.String())))
	fmt.Fprintf(&b, "--%s\r\nContent-Type: message/delivery-status\r\n\r\n", boundary)
	b.WriteString(st.String())
	if headers != "" {
		fmt.Fprintf(&b, "\r\n--%s\r\nContent-Type: text/rfc822-headers\r\n\r\n", boundary)
		b.WriteString(headers)
	}
	fmt.Fprintf(&b, "\r\n--%s--\r\n", boundary)
	return b.String()
}

// dsnStatus takes the enhanced status code from a reply ("550 5.1.1 …"),
// or makes one from its class.
func dsnStatus(reply string) string {
	f := strings.Fields(reply)
	if len(f) >= 2 && strings.Count(f[1], ".") == 2 && (f[1][0] == '5' || f[1][0] == '4') {
		return "5" + f[1][1:]
	}
	if strings.Contains(reply, "expired") {
		return "5.4.7" // delivery time expired (RFC 3463 3.5), now permanent
	}
	return "5.0.0"
}
