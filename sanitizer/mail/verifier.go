package mail

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"

	"github.com/mugai-project/mugai/internal/spill"
	"github.com/mugai-project/mugai/sanitizer/detect"
	"github.com/mugai-project/mugai/sanitizer/verify"
)

// allowedAttachment are the kinds a sanitized message may carry.
var allowedAttachment = map[detect.Kind]bool{
	detect.PDF: true, detect.PNG: true, detect.JPEG: true, detect.Text: true, detect.CSV: true,
	detect.TSV: true, detect.DOCX: true, detect.XLSX: true, detect.PPTX: true, detect.Zip: true,
	detect.EML: true, detect.Calendar: true,
}

// Verifiers returns the independent check of EML outputs, for
// sanitizer.Options.Verifiers.
func Verifiers() map[detect.Kind]verify.Func {
	return map[detect.Kind]verify.Func{detect.EML: VerifyMessage}
}

// maxVerifyDepth bounds nested message/rfc822 attachments in the check.
const maxVerifyDepth = 8

// VerifyMessage checks a sanitized message with Go's net/mail and
// mime/multipart, sharing no parsing code with the sanitizer:
//   - every line is 7-bit, ends in CRLF, is at most 998 octets (RFC 5322
//     §2.1.1, §2.3) and holds no NUL;
//   - the header parses, and every field decodes (RFC 2047) to valid
//     UTF-8 without control characters;
//   - the body is text/plain (UTF-8 or ISO-2022-JP) or multipart/mixed
//     whose first part is that text and whose other parts are
//     attachments; no text/html anywhere and no script tag ("<script"
//     then a blank, "/" or ">") in any header or text;
//   - every attachment, decoded, is detected again as an allowed kind
//     matching its declared type; attached messages are checked the
//     same way, recursively.
func VerifyMessage(ctx context.Context, r io.ReaderAt, size int64) error {
	return verifyMessage(ctx, r, size, 0)
}

func verifyMessage(ctx context.Context, r io.ReaderAt, size int64, depth int) error {
	if depth > maxVerifyDepth {
		return errors.New("verify mail: attached messages nested too deeply")
	}
	if err := checkLines(io.NewSectionReader(r, 0, size)); err != nil {
		return err
	}
	msg, err := mail.ReadMessage(bufio.NewReader(io.NewSectionReader(r, 0, size)))
	if err != nil {
		return fmt.Errorf("verify mail: header: %w", err)
	}
	dec := &mime.WordDecoder{}
	for k, vs := range msg.Header {
		for _, v := range vs {
			d, err := dec.DecodeHeader(v)
			if err != nil {
				return fmt.Errorf("verify mail: %s does not decode: %w", k, err)
			}
			if !utf8.ValidString(d) || strings.ContainsFunc(d, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				return fmt.Errorf("verify mail: %s has invalid text after decoding", k)
			}
			if containsScriptString(d) {
				return fmt.Errorf("verify mail: %s contains <script", k)
			}
		}
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return fmt.Errorf("verify mail: Content-Type: %w", err)
	}
	cte := msg.Header.Get("Content-Transfer-Encoding")
	switch mt {
	case "text/plain":
		return checkText(ctx, msg.Body, cte, params["charset"])
	case "multipart/mixed":
	default:
		return fmt.Errorf("verify mail: top-level type %s is not allowed", mt)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for i := 0; ; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := mr.NextRawPart()
		if err == io.EOF {
			if i == 0 {
				return errors.New("verify mail: empty multipart")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("verify mail: multipart: %w", err)
		}
		pt, pp, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if err != nil {
			return fmt.Errorf("verify mail: part %d Content-Type: %w", i, err)
		}
		pcte := p.Header.Get("Content-Transfer-Encoding")
		if i == 0 {
			if pt != "text/plain" {
				return fmt.Errorf("verify mail: first part is %s, not text/plain", pt)
			}
			if err := checkText(ctx, p, pcte, pp["charset"]); err != nil {
				return err
			}
			continue
		}
		if err := checkAttachment(ctx, p, pt, pcte, depth); err != nil {
			return fmt.Errorf("verify mail: attachment %d: %w", i, err)
		}
	}
}

// checkLines requires CRLF-terminated 7-bit lines of at most 998 octets.
func checkLines(r io.Reader) error {
	br := bufio.NewReaderSize(r, 4096)
	lineNo := 0
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return fmt.Errorf("verify mail: line %d is longer than 998 octets", lineNo+1)
		}
		if len(line) == 0 && err == io.EOF {
			return nil
		}
		lineNo++
		if err == io.EOF {
			return fmt.Errorf("verify mail: line %d does not end in CRLF", lineNo)
		}
		if err != nil {
			return err
		}
		if len(line) < 2 || line[len(line)-2] != '\r' {
			return fmt.Errorf("verify mail: line %d ends in a bare LF", lineNo)
		}
		body := line[:len(line)-2]
		if len(body) > 998 {
			return fmt.Errorf("verify mail: line %d is longer than 998 octets", lineNo)
		}
		for _, c := range body {
			if c == 0 || c == '\r' || c >= 0x80 {
				return fmt.Errorf("verify mail: line %d has a NUL, CR or 8-bit byte", lineNo)
			}
		}
	}
}

// transferReader decodes the encodings the sanitizer writes.
func transferReader(r io.Reader, cte string) (io.Reader, error) {
	switch strings.ToLower(cte) {
	case "", "7bit":
		return r, nil
	case "quoted-printable":
		return quotedprintable.NewReader(r), nil
	case "base64":
		return newBase64(r), nil
	}
	return nil, fmt.Errorf("transfer encoding %q is not allowed", cte)
}

func newBase64(r io.Reader) io.Reader {
	return base64Decoder(r)
}

// checkText requires valid UTF-8 text without controls (verify.Text)
// and without "<script".
func checkText(ctx context.Context, r io.Reader, cte, charset string) error {
	tr, err := transferReader(r, cte)
	if err != nil {
		return fmt.Errorf("verify mail: %w", err)
	}
	switch strings.ToLower(charset) {
	case "utf-8", "us-ascii":
	case "iso-2022-jp":
		tr = transform.NewReader(tr, japanese.ISO2022JP.NewDecoder())
	default:
		return fmt.Errorf("verify mail: text charset %q is not allowed", charset)
	}
	b := spill.New(spill.Options{Threshold: 1 << 20, Limit: 256 << 20})
	defer b.Close()
	if _, err := io.Copy(b, tr); err != nil {
		return fmt.Errorf("verify mail: text: %w", err)
	}
	if err := verify.Text(ctx, b, b.Size()); err != nil {
		return err
	}
	if containsScript(b.Open()) {
		return errors.New("verify mail: the text contains <script")
	}
	return nil
}

// checkAttachment decodes one attachment and detects it again.
func checkAttachment(ctx context.Context, p *multipart.Part, mt, cte string, depth int) error {
	if mt == "text/html" || strings.HasPrefix(mt, "multipart/") {
		return fmt.Errorf("type %s is not allowed", mt)
	}
	if mt == "message/rfc822" {
		if c := strings.ToLower(cte); c != "" && c != "7bit" {
			return fmt.Errorf("message/rfc822 in %s", cte)
		}
	}
	tr, err := transferReader(p, cte)
	if err != nil {
		return err
	}
	b := spill.New(spill.Options{Threshold: 1 << 20, Limit: 512 << 20})
	defer b.Close()
	if _, err := io.Copy(b, tr); err != nil {
		return err
	}
	switch mt {
	case "text/plain", "text/csv", "text/tab-separated-values":
		if err := verify.Text(ctx, b, b.Size()); err != nil {
			return err
		}
		if containsScript(b.Open()) {
			return errors.New("text attachment contains <script")
		}
		return nil
	case "message/rfc822":
		return verifyMessage(ctx, b, b.Size(), depth+1)
	case "text/calendar":
		return verifyCalendarAttachment(ctx, b, b.Size())
	}
	got := detect.Detect(b, b.Size(), "", "")
	if !allowedAttachment[got.Kind] || got.Kind.IsText() {
		return fmt.Errorf("content detected as %s, which may not be attached", got.Kind)
	}
	if detect.MediaType(got.Kind) != mt {
		return fmt.Errorf("declared %s but detected %s", mt, got.Kind)
	}
	return nil
}

// scriptTag matches what an HTML tokenizer would start a script element
// with (HTML Living Standard §13.2.5.8: the tag name ends at whitespace,
// "/" or ">"), in any letter case; scriptTagEnd also at the end of text.
var (
	scriptTag    = regexp.MustCompile(`(?i)<\s*/?\s*script[\t\n\f\r />]`)
	scriptTagEnd = regexp.MustCompile(`(?i)<\s*/?\s*script(?:[\t\n\f\r />]|$)`)
)

// containsScript reports whether r holds a script tag, also across read
// boundaries: the last 16 bytes of each read are matched again with the
// next, in one buffer, of 8 KiB: most mails are smaller, and a larger one
// reads in more steps rather than every one allocating for the largest.
func containsScript(r io.Reader) bool {
	const keep = 16
	buf := make([]byte, keep+8<<10)
	carry := 0
	for {
		n, err := r.Read(buf[carry:])
		chunk := buf[:carry+n]
		if err != nil && containsScriptString(string(chunk)) || scriptTag.Match(chunk) {
			return true
		}
		if err != nil {
			return false
		}
		carry = copy(buf, chunk[max(0, len(chunk)-keep):])
	}
}

func containsScriptString(s string) bool {
	return scriptTagEnd.MatchString(s)
}

// base64Decoder decodes line-broken base64 with the standard library.
func base64Decoder(r io.Reader) io.Reader {
	return base64.NewDecoder(base64.StdEncoding, &stripCRLF{r: r})
}

// stripCRLF removes CR and LF, which base64 bodies carry every 76 chars.
type stripCRLF struct{ r io.Reader }

func (s *stripCRLF) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		j := 0
		for _, c := range p[:n] {
			if c != '\r' && c != '\n' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}
