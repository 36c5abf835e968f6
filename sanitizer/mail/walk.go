package mail

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"

	"github.com/emersion/go-message/textproto"

	"github.com/mugai-project/mugai/internal/spill"
)

// part is one non-body part handed to the engine.
type part struct {
	Name         string // declared file name, decoded; may be empty
	DeclaredType string
	Message      bool // message/rfc822: comes back as a sanitized message
	Body         io.Reader
}

// file is one output of the engine to attach.
type file struct {
	Name      string
	MediaType string
	Kind      string
	Open      func() io.Reader
	Size      int64
}

// outcome is what the engine made of one part.
type outcome struct {
	Name     string // declared name, for the notice
	ID       string // the part's item ID, for the quarantine
	Detected string
	Action   string
	Files    []file
	Withheld bool
	Held     bool
	Reason   string // code
	Message  string // Japanese reason
	English  string
	Close    func() error
}

// env is what the walker needs from the outside: the engine for parts,
// the HTML converter, and buffers. The handler implements it on a Job;
// tests can implement it alone.
type env interface {
	sanitize(ctx context.Context, p part) (*outcome, error)
	htmlToText(ctx context.Context, r io.Reader, w io.Writer, links string) (urls []string, err error)
	buffer() *spill.Buffer
}

// encryptedError says the message itself is encrypted: it is held.
type encryptedError struct{ what string }

func (e *encryptedError) Error() string { return "mail: encrypted message (" + e.what + ")" }

// fragment is one piece of body text, UTF-8 with CRLF line ends.
type fragment struct {
	buf   *spill.Buffer
	html  bool
	blank bool // only whitespace
}

// collector gathers body text and attachments for one subtree, so that
// the alternatives of multipart/alternative can be compared.
type collector struct {
	frags    []*fragment
	children []*outcome
}

func (c *collector) hasText(html bool) bool {
	for _, f := range c.frags {
		if f.html == html && !f.blank {
			return true
		}
	}
	return false
}

func (c *collector) close() {
	for _, f := range c.frags {
		f.buf.Close()
	}
	for _, ch := range c.children {
		if ch.Close != nil {
			ch.Close()
		}
	}
}

// walker walks one message's MIME tree within the limits.
type walker struct {
	ctx     context.Context
	o       Options
	env     env
	parts   int
	names   int // synthesized names so far
	stats   walkStats
	urls    []string
	seenURL map[string]bool
}

// walkStats are the findings and removals of one message.
type walkStats struct {
	htmlBody        bool // the body was converted from HTML
	htmlDropped     bool // an HTML alternative was dropped for the text one
	inlineImages    int
	alternatives    int // other alternatives dropped (besides HTML)
	signature       string
	signatureParts  int
	encrypted       []string // names of held encrypted parts
	truncated       bool
	noParts         int
	unknownCTE      int
	unknownCharset  int
	charsetMismatch int
	headerRepairs   int
	nul             int
	scriptTags      int
	controls        int
	linksChanged    int
	badContentType  int
	base64Trailing  int      // lines of text after base64 data, not decoded
	failed          []string // parts the engine could not take
	tnef            []string // TNEF parts unpacked
}

func newWalker(ctx context.Context, o Options, e env) *walker {
	return &walker{ctx: ctx, o: o, env: e, seenURL: map[string]bool{}}
}

// mediaType parses Content-Type leniently. Missing means text/plain
// (RFC 2045 §5.2), or message/rfc822 inside multipart/digest (RFC 2046
// §5.1.5). An unparsable one makes the part an octet stream, judged by
// its content.
func (w *walker) mediaType(h header, parent string) (string, map[string]string) {
	v := h.get("Content-Type")
	if v == "" {
		if parent == "digest" {
			return "message/rfc822", map[string]string{}
		}
		return "text/plain", map[string]string{}
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		// QUIRK: a broken parameter list; keep the type when it is clear.
		head := strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]))
		if t, _, err2 := mime.ParseMediaType(head); err2 == nil {
			mt, params = t, lenientParams(v)
		} else {
			w.stats.badContentType++
			return "application/octet-stream", map[string]string{}
		}
	}
	return strings.ToLower(mt), params
}

// lenientParams pulls name=value pairs from a parameter list that
// mime.ParseMediaType refused (unquoted spaces, 8-bit values).
func lenientParams(v string) map[string]string {
	params := map[string]string{}
	for _, kv := range strings.Split(v, ";")[1:] {
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		params[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(val), `"`)
	}
	return params
}

// filename is the declared name of a part: Content-Disposition filename
// (RFC 2183, RFC 2231) else Content-Type name, decoded, or "".
func (w *walker) filename(h header) (string, string) {
	disp := ""
	var dparams map[string]string
	if v := h.get("Content-Disposition"); v != "" {
		disp = strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]))
		dparams = nameParams(v)
	}
	name := dparams["filename"]
	if name == "" {
		name = nameParams(h.get("Content-Type"))["name"]
	}
	if name != "" {
		var f textFindings
		// RFC 2047 words in a quoted value (QUIRK: what most Japanese
		// clients send) and raw 8-bit names are decoded here. The name is
		// not cleaned yet: the engine reports what it hides (bidi
		// controls, trailing dots), and every use cleans it
		// (displayName, detect.CleanName).
		name = decodeWords(rawToUTF8([]byte(name), &f), &f)
	}
	return disp, name
}

// entity handles one entity with header h and raw (still encoded) body.
func (w *walker) entity(c *collector, h header, body io.Reader, depth int, parent string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	w.parts++
	if w.parts > w.o.MaxParts {
		return errLimit("more than %d MIME parts", w.o.MaxParts)
	}
	mt, params := w.mediaType(h, parent)
	disp, name := w.filename(h)
	cte := h.get("Content-Transfer-Encoding")

	if strings.HasPrefix(mt, "multipart/") {
		return w.multipart(c, mt, params, body, depth)
	}
	decoded, ok := transferDecode(cte, body, &w.stats.base64Trailing)
	if !ok {
		w.stats.unknownCTE++
	}
	switch mt {
	case "message/rfc822", "message/global":
		if name == "" {
			name = "message.eml"
		}
		return w.attach(c, part{Name: name, DeclaredType: mt, Message: true, Body: decoded})
	case "application/pkcs7-mime", "application/x-pkcs7-mime":
		st := strings.ToLower(params["smime-type"])
		if st == "signed-data" || st == "certs-only" {
			break // opaque signed: the engine will not recognise it and withholds it
		}
		if depth == 0 {
			return &encryptedError{what: "S/MIME"}
		}
		io.Copy(io.Discard, decoded)
		w.stats.encrypted = append(w.stats.encrypted, orDefault(name, "smime.p7m"))
		return nil
	case "text/plain", "text/html":
		if disp != "attachment" && name == "" {
			return w.textPart(c, mt, params, decoded)
		}
	case "message/delivery-status", "message/disposition-notification", "text/rfc822-headers", "message/rfc822-headers":
		if name == "" {
			return w.textPart(c, "text/plain", params, decoded)
		}
	}
	if isTNEF(mt, name) {
		return w.tnef(c, orDefault(name, "winmail.dat"), decoded)
	}
	if parent == "related" && w.o.InlineImages == "drop" && strings.HasPrefix(mt, "image/") && disp != "attachment" && h.get("Content-Id") != "" {
		w.stats.inlineImages++
		_, err := io.Copy(io.Discard, decoded)
		return err
	}
	if name == "" {
		w.names++
		name = fmt.Sprintf("part%d%s", w.names, extFor(mt))
	}
	return w.attach(c, part{Name: name, DeclaredType: mt, Body: decoded})
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// extFor gives a synthesized name an extension for its declared type; it
// only makes the notice readable, the engine detects by content.
func extFor(mt string) string {
	switch mt {
	case "text/plain":
		return ".txt"
	case "text/html":
		return ".html"
	case "text/calendar":
		return ".ics"
	case "application/pdf":
		return ".pdf"
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "image/gif":
		return ".gif"
	case "application/ms-tnef":
		return ".dat"
	}
	return ""
}

// attach hands a part to the engine.
func (w *walker) attach(c *collector, p part) error {
	out, err := w.env.sanitize(w.ctx, p)
	if err != nil {
		if isLimit(err) || w.ctx.Err() != nil {
			return err
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return err
		}
		w.stats.failed = append(w.stats.failed, p.Name)
		return nil
	}
	if out.Name == "" {
		out.Name = p.Name
	}
	c.children = append(c.children, out)
	return nil
}

// multipart walks a multipart entity (RFC 2046 §5.1). The depth limit is
// checked before anything of the body is read.
func (w *walker) multipart(c *collector, mt string, params map[string]string, body io.Reader, depth int) error {
	if depth+1 > w.o.MaxDepth {
		return &limitError{depth: true, what: fmt.Sprintf("MIME nesting deeper than %d", w.o.MaxDepth)}
	}
	sub := strings.TrimPrefix(mt, "multipart/")
	if sub == "encrypted" {
		if depth == 0 {
			return &encryptedError{what: params["protocol"]}
		}
		_, err := io.Copy(io.Discard, body)
		w.stats.encrypted = append(w.stats.encrypted, "encrypted")
		return err
	}
	boundary := params["boundary"]
	if boundary == "" || len(boundary) > 200 {
		// QUIRK: a multipart without a usable boundary parameter; take
		// the first "--" line as the boundary, as Thunderbird does.
		br := bufio.NewReaderSize(body, 16<<10)
		body = br
		boundary = guessBoundary(br)
		if boundary == "" {
			w.stats.noParts++
			return w.attach(c, part{Name: "body.txt", DeclaredType: "text/plain", Body: br})
		}
	}
	g := newGuard(body, boundary, w.o)
	defer func() {
		w.stats.headerRepairs += g.repaired
		w.stats.nul += g.nul
	}()
	mr := textproto.NewMultipartReader(g, boundary)
	var alts []*collector
	merged := false
	defer func() {
		if !merged { // an error ended the walk: free what the alternatives hold
			for _, a := range alts {
				a.close()
			}
		}
	}()
	n := 0
	for ; ; n++ {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if w.parts >= w.o.MaxParts {
			return errLimit("more than %d MIME parts", w.o.MaxParts)
		}
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if isLimit(err) {
				return err
			}
			w.stats.truncated = true
			break
		}
		ph := fromTextproto(p.Header)
		r := tolerantEOF{r: p, truncated: &w.stats.truncated}
		if sub == "signed" && n == 1 {
			// RFC 1847 §2.1: the second part is the signature.
			w.parts++
			w.stats.signatureParts++
			w.stats.signature = signatureName(params["protocol"])
			if _, err := io.Copy(io.Discard, r); err != nil {
				return err
			}
			continue
		}
		if sub == "alternative" {
			ac := &collector{}
			alts = append(alts, ac)
			if err := w.entity(ac, ph, r, depth+1, sub); err != nil {
				return err
			}
			continue
		}
		if err := w.entity(c, ph, r, depth+1, sub); err != nil {
			return err
		}
	}
	if n == 0 {
		w.stats.noParts++
	}
	if sub == "alternative" {
		w.choose(c, alts)
	}
	merged = true
	return nil
}

// choose keeps the best alternative (RFC 2046 §5.1.4): text/plain when it
// has any text, else HTML (converted), else the last one. QUIRK: an empty
// text/plain next to HTML is common; the HTML is taken then.
func (w *walker) choose(c *collector, alts []*collector) {
	best, rank := -1, -1
	for i, a := range alts {
		r := 0
		switch {
		case a.hasText(false):
			r = 3
		case a.hasText(true):
			r = 2
		case len(a.frags) > 0:
			r = 1
		}
		if r >= rank {
			best, rank = i, r
		}
	}
	for i, a := range alts {
		if i == best {
			c.frags = append(c.frags, a.frags...)
			c.children = append(c.children, a.children...)
			continue
		}
		if keepCalendars(c, a) {
			continue // an invitation alone: kept, nothing dropped
		}
		if a.hasText(true) {
			w.stats.htmlDropped = true
		} else {
			w.stats.alternatives++
		}
		a.close()
	}
}

func signatureName(protocol string) string {
	if strings.Contains(strings.ToLower(protocol), "pgp") {
		return "PGP"
	}
	return "S/MIME"
}

// guessBoundary finds a "--token" line in the first 16 KiB.
func guessBoundary(br *bufio.Reader) string {
	head, _ := br.Peek(16 << 10)
	for _, line := range strings.Split(string(head), "\n") {
		line = strings.TrimRight(line, "\r \t")
		if strings.HasPrefix(line, "--") && len(line) > 3 && len(line) <= 72 && !strings.ContainsAny(line[2:], " \t") {
			return strings.TrimSuffix(line[2:], "--")
		}
	}
	return ""
}

// fromTextproto copies a go-message part header.
func fromTextproto(th textproto.Header) header {
	var h header
	fs := th.Fields()
	for fs.Next() {
		h = append(h, field{Name: fs.Key(), Value: []byte(fs.Value())})
	}
	return h
}

// baseName is path.Base for names from either system.
func baseName(s string) string { return path.Base(strings.ReplaceAll(s, "\\", "/")) }
