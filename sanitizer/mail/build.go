package mail

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime/quotedprintable"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"

	"github.com/mugai-project/mugai/internal/ids"
	"github.com/mugai-project/mugai/sanitizer/text"
)

// outcomeSummary is what sanitizeMessage reports about one message.
type outcomeSummary struct {
	stats       walkStats
	urls        []string
	children    []*outcome
	headerFinds textFindings
	hstats      headerStats
	readReceipt bool
	droppedHdr  int
	summary     string // ASCII, for X-Mugai-Sanitized
	charset     string // of the output body
	lines       []NoticeLine
	notice      string // as written at the top of the body
}

// sanitizeMessage reads one message from in and writes its sanitized
// form to out. id is the item ID written in X-Mugai-Sanitized and the
// notice. The caller owns in and out.
func sanitizeMessage(ctx context.Context, o Options, e env, in io.Reader, out io.Writer, id string) (*outcomeSummary, error) {
	br, crOnly := crLines(bufio.NewReaderSize(in, 8<<10))
	h, rest, hst, err := readHeader(br, o, true)
	if err != nil {
		return nil, err
	}
	if len(h) == 0 {
		// Nothing reads as a header field (RFC 5322 §2.2): this is not a
		// message, whatever claimed it was one, and it is not guessed at.
		return nil, errNotMessage
	}
	hst.crOnly = crOnly
	sum := &outcomeSummary{hstats: hst}
	w := newWalker(ctx, o, e)
	c := &collector{}
	defer c.close()
	var body io.Reader = br
	if len(rest) > 0 {
		body = io.MultiReader(bytes.NewReader(rest), br)
	}
	if err := w.entity(c, h, body, 0, ""); err != nil {
		return nil, err
	}
	w.stats.nul += hst.nul
	w.stats.headerRepairs += hst.malformed
	sum.stats = w.stats
	sum.urls = w.urls
	sum.children = c.children
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return sum, writeMessage(o, h, c, sum, out, id)
}

// writeMessage writes the new message: kept header fields, the notice
// and body text, and the engine's outputs as attachments.
func writeMessage(o Options, h header, c *collector, sum *outcomeSummary, out io.Writer, id string) error {
	var hb bytes.Buffer
	sum.readReceipt = writeHeaderFields(&hb, h, o, &sum.headerFinds) && !o.KeepReadReceipt

	nurls := len(sum.urls)
	if o.Links == LinksKeep {
		nurls = 0
	}
	sum.lines = noticeLines(&sum.stats, sum.children, o, nurls, sum.readReceipt)
	nd := NoticeData{ID: id, Lines: sum.lines, LinksRemoved: o.Links == LinksRemove, English: o.English}
	if o.HeldLink != nil && withheldAny(sum) {
		nd.HeldURL = o.HeldLink(id)
	}
	if o.Links == LinksRemove {
		for _, u := range sum.urls {
			nd.URLs = append(nd.URLs, text.Defang(u))
		}
	}
	notice, err := renderNotice(o.notice, o.NoticeTemplate, nd)
	if err != nil {
		return err
	}
	var nb bytes.Buffer
	nw := &lineWriter{w: &walker{o: o}, dst: &nb}
	nw.Write([]byte(notice))
	nw.Close()
	sum.notice = nb.String()

	// The body: the notice, then each fragment, a blank line between.
	// It is read twice (once to choose its encoding, once to write it),
	// each time through new readers over the buffers.
	bodyText := func() io.Reader {
		parts := []io.Reader{bytes.NewReader(nb.Bytes()), strings.NewReader("\r\n")}
		for i, f := range c.frags {
			if f.blank && len(c.frags) > 1 {
				continue
			}
			if i > 0 {
				parts = append(parts, strings.NewReader("\r\n"))
			}
			parts = append(parts, f.buf.Open())
		}
		return io.MultiReader(parts...)
	}

	charset, cte := chooseEncoding(o, bodyText)
	sum.charset = charset
	var files []file
	for _, ch := range sum.children {
		files = append(files, ch.Files...)
	}
	sum.summary = summaryLine(sum, len(files))
	writeField(&hb, "MIME-Version", []string{"1.0"})

	bw := bufio.NewWriterSize(out, 8<<10)
	if len(files) == 0 {
		writeField(&hb, "Content-Type", []string{"text/plain;", "charset=" + charset})
		writeField(&hb, "Content-Transfer-Encoding", []string{cte})
		writeField(&hb, "X-Mugai-Sanitized", append([]string{id + ";"}, strings.Fields(sum.summary)...))
		hb.WriteString("\r\n")
		bw.Write(hb.Bytes())
		if err := writeBody(bw, bodyText(), charset, cte); err != nil {
			return err
		}
		return bw.Flush()
	}
	boundary := newBoundary()
	writeField(&hb, "Content-Type", []string{"multipart/mixed;", `boundary="` + boundary + `"`})
	writeField(&hb, "X-Mugai-Sanitized", append([]string{id + ";"}, strings.Fields(sum.summary)...))
	hb.WriteString("\r\nThis is a MIME message sanitized by mugai.\r\n")
	bw.Write(hb.Bytes())

	fmt.Fprintf(bw, "\r\n--%s\r\n", boundary)
	var ph bytes.Buffer
	writeField(&ph, "Content-Type", []string{"text/plain;", "charset=" + charset})
	writeField(&ph, "Content-Transfer-Encoding", []string{cte})
	ph.WriteString("\r\n")
	bw.Write(ph.Bytes())
	if err := writeBody(bw, bodyText(), charset, cte); err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintf(bw, "\r\n--%s\r\n", boundary)
		if err := writeAttachment(bw, f); err != nil {
			return err
		}
	}
	fmt.Fprintf(bw, "\r\n--%s--\r\n", boundary)
	return bw.Flush()
}

// chooseEncoding picks the body charset and transfer encoding: ISO-2022-JP
// only when asked and every character fits (no half-width kana, which RFC
// 1468 excludes, nothing outside JIS X 0208); quoted-printable for mostly
// ASCII text, base64 for mostly Japanese text. Both keep lines ≤ 76.
func chooseEncoding(o Options, body func() io.Reader) (string, string) {
	var total, high int64
	fitsJIS := strings.EqualFold(o.Charset, "ISO-2022-JP")
	br := bufio.NewReaderSize(body(), 8<<10)
	enc := japanese.ISO2022JP.NewEncoder()
	for {
		line, err := br.ReadString('\n')
		total += int64(len(line))
		for i := 0; i < len(line); i++ {
			if line[i] >= 0x80 {
				high++
			}
		}
		if fitsJIS && line != "" {
			for _, r := range line {
				if r >= 0xFF61 && r <= 0xFF9F || r == utf8.RuneError {
					fitsJIS = false
					break
				}
			}
			if fitsJIS {
				if _, err := enc.String(line); err != nil {
					fitsJIS = false
				}
			}
		}
		if err != nil {
			break
		}
	}
	if fitsJIS {
		return "ISO-2022-JP", "base64"
	}
	if high*4 > total {
		return "UTF-8", "base64"
	}
	return "UTF-8", "quoted-printable"
}

// writeBody encodes the body text.
func writeBody(w io.Writer, text io.Reader, charset, cte string) error {
	if charset == "ISO-2022-JP" {
		text = transform.NewReader(text, japanese.ISO2022JP.NewEncoder())
	}
	var enc io.WriteCloser
	if cte == "base64" {
		enc = base64.NewEncoder(base64.StdEncoding, &lineBreaker{w: w})
	} else {
		enc = quotedprintable.NewWriter(w)
	}
	if _, err := copySmall(enc, text); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\r\n")
	return err
}

// writeAttachment writes one engine output as a part. A sanitized message
// is attached as message/rfc822 in 7bit (RFC 2046 §5.2.1 allows no other
// encoding); everything else in base64.
func writeAttachment(w io.Writer, f file) error {
	var ph bytes.Buffer
	name := f.Name
	if f.MediaType == "message/rfc822" {
		writeField(&ph, "Content-Type", []string{"message/rfc822"})
		writeField(&ph, "Content-Disposition", append([]string{"attachment;"}, rfc2231Tokens(name)...))
		writeField(&ph, "Content-Transfer-Encoding", []string{"7bit"})
		ph.WriteString("\r\n")
		if _, err := w.Write(ph.Bytes()); err != nil {
			return err
		}
		// The sanitized message is 7-bit with CRLF lines of at most 998
		// octets, as its verifier checked; it must end with a line end.
		cw := &lastByte{w: w}
		if _, err := copySmall(cw, f.Open()); err != nil {
			return err
		}
		if cw.last != '\n' {
			io.WriteString(w, "\r\n")
		}
		return nil
	}
	ct := []string{f.MediaType + ";"}
	if strings.HasPrefix(f.MediaType, "text/") {
		// The engine writes text as UTF-8. Without the parameter a reader
		// takes RFC 2045 §5.2's us-ascii, or its locale's charset: Outlook
		// in Japan opens such an attachment as Shift_JIS.
		ct = append(ct, "charset=UTF-8;")
	}
	if isASCIIPrintable(name) && !strings.ContainsAny(name, `"\`) && len(name) < 60 {
		ct = append(ct, `name="`+name+`"`)
	} else {
		ct = append(ct, "name=\""+strings.Join(encodeWords(name), " ")+"\"")
	}
	writeField(&ph, "Content-Type", ct)
	writeField(&ph, "Content-Disposition", append([]string{"attachment;"}, rfc2231Tokens(name)...))
	writeField(&ph, "Content-Transfer-Encoding", []string{"base64"})
	ph.WriteString("\r\n")
	if _, err := w.Write(ph.Bytes()); err != nil {
		return err
	}
	enc := base64.NewEncoder(base64.StdEncoding, &lineBreaker{w: w})
	if _, err := copySmall(enc, f.Open()); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\r\n")
	return err
}

// rfc2231Tokens are the filename parameter pieces, separated by ";".
func rfc2231Tokens(name string) []string {
	ps := rfc2231Param("filename", name)
	for i := range ps[:len(ps)-1] {
		ps[i] += ";"
	}
	return ps
}

type lastByte struct {
	w    io.Writer
	last byte
}

func (l *lastByte) Write(p []byte) (int, error) {
	if len(p) > 0 {
		l.last = p[len(p)-1]
	}
	return l.w.Write(p)
}

// lineBreaker inserts CRLF every 76 characters of base64 (RFC 2045 §6.8).
type lineBreaker struct {
	w   io.Writer
	col int
}

func (l *lineBreaker) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		room := 76 - l.col
		if room == 0 {
			if _, err := l.w.Write([]byte("\r\n")); err != nil {
				return 0, err
			}
			l.col, room = 0, 76
		}
		k := min(room, len(p))
		if _, err := l.w.Write(p[:k]); err != nil {
			return 0, err
		}
		l.col += k
		p = p[k:]
	}
	return n, nil
}

// newBoundary returns a boundary that cannot occur in quoted-printable
// ("=" is always escaped there) or base64 ("_" is not in its alphabet).
func newBoundary() string {
	return "=_mugai_" + ids.Token()
}

// summaryLine is the ASCII summary in X-Mugai-Sanitized.
func summaryLine(sum *outcomeSummary, nfiles int) string {
	var parts []string
	switch {
	case sum.stats.htmlBody && !sum.stats.htmlDropped:
		parts = append(parts, "body=html-to-text")
	case sum.stats.htmlDropped:
		parts = append(parts, "body=text(html-dropped)")
	default:
		parts = append(parts, "body=text")
	}
	conv, withheld, held := 0, 0, 0
	for _, ch := range sum.children {
		switch {
		case ch.Held:
			held++
		case ch.Withheld:
			withheld++
		default:
			conv++
		}
	}
	parts = append(parts, fmt.Sprintf("attachments=%d-sanitized,%d-removed,%d-held", conv, withheld, held+len(sum.stats.encrypted)))
	if len(sum.urls) > 0 {
		parts = append(parts, fmt.Sprintf("urls=%d", len(sum.urls)))
	}
	if sum.stats.inlineImages > 0 {
		parts = append(parts, fmt.Sprintf("inline-images-removed=%d", sum.stats.inlineImages))
	}
	if sum.stats.signature != "" {
		parts = append(parts, "signature-removed")
	}
	return strings.Join(parts, "; ")
}
