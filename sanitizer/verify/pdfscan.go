package verify

import (
	"context"
	"io"
)

// pdfNameHit is one dangerous name the lexical scan found, and where.
type pdfNameHit struct {
	name     string
	off      int64
	inStream bool // between the keywords stream and endstream (§7.3.8.1)
}

// pdfScan is what a lexical pass over PDF bytes found.
type pdfScan struct {
	hits []pdfNameHit
	// filterRef: a /Filter or /DecodeParms whose value is an indirect
	// reference or an array holding one.
	filterRef bool
}

// pdfScanNames lexes PDF bytes (ISO 32000-1 §7.2, §7.3): it finds every
// name token, in syntax, strings and comments alike, normalizes #xx
// escapes (§7.3.5) and keeps the dangerous ones; it follows the keywords
// stream and endstream to mark hits inside stream data; and it watches
// the value after each /Filter and /DecodeParms for a reference. It reads
// a byte at a time from a buffered reader, so no chunk boundary can split
// a token.
func pdfScanNames(ctx context.Context, r io.ByteReader) (pdfScan, error) {
	var res pdfScan
	var tok []byte
	isName, inStream, afterStream, inComment := false, false, false, false
	strDepth := 0 // nesting of a literal string; > 0 inside one
	escaped := false
	// The value after /Filter or /DecodeParms: its tokens at its own level.
	watching, valDepth, valToks := false, 0, []string(nil)
	var start, off int64
	endValue := func() { watching, valDepth, valToks = false, 0, nil }
	word := func(w string) {
		if !watching {
			return
		}
		if valDepth <= 1 {
			valToks = append(valToks, w)
			if n := len(valToks); n >= 3 && w == "R" && pdfIsInt(valToks[n-2]) && pdfIsInt(valToks[n-3]) {
				res.filterRef = true
			}
		}
		if valDepth == 0 && len(valToks) >= 3 {
			endValue()
		}
	}
	flush := func() {
		switch {
		case isName:
			name, ok := pdfDecodeName(tok)
			if ok && pdfDangerNames[name] && len(res.hits) < 1000 {
				res.hits = append(res.hits, pdfNameHit{name: name, off: start, inStream: inStream})
			}
			if inStream || inComment || strDepth > 0 {
				break
			}
			if watching && valDepth == 0 {
				endValue() // the value was a name, or the next key came
			} else if watching {
				word("/")
			}
			if ok && (name == "Filter" || name == "DecodeParms") {
				watching = true
			}
		case len(tok) > 0 && !inComment && strDepth == 0:
			switch string(tok) {
			case "stream":
				afterStream = !inStream
			case "endstream":
				inStream = false
			}
			if !inStream {
				word(string(tok))
			}
		}
		isName = false
		tok = tok[:0]
	}
	for {
		b, err := r.ReadByte()
		if err == io.EOF {
			flush()
			return res, nil
		}
		if err != nil {
			return res, err
		}
		if off&0xFFFFF == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
		off++
		if strDepth > 0 {
			// Inside a literal string (§7.3.4.2) only names are looked for.
			if isName && (pdfDelimiter(b) || escaped || b == '\\') {
				flush()
			}
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '(':
				strDepth++
			case b == ')':
				strDepth--
			case b == '/':
				isName, start = true, off-1
			case isName && len(tok) < 64:
				tok = append(tok, b)
			case isName:
				tok = append(tok[:64], 0)
			}
			continue
		}
		switch {
		case b == '/':
			flush()
			afterStream = false
			isName, start = true, off-1
		case pdfDelimiter(b):
			flush()
			if afterStream {
				// The stream keyword is followed by CRLF or LF (§7.3.8.1).
				inStream = b == '\r' || b == '\n'
				afterStream = false
				continue
			}
			if inStream {
				continue
			}
			switch {
			case inComment:
				inComment = b != '\r' && b != '\n'
			case b == '%':
				inComment = true
			case b == '(' && strDepth == 0:
				strDepth = 1
				word("(")
			case b == '[' || b == '<':
				if watching {
					valDepth++
				}
			case b == ']' || b == '>':
				if watching {
					valDepth--
					if valDepth <= 0 {
						endValue()
					}
				}
			}
		default:
			afterStream = false
			if len(tok) < 64 {
				tok = append(tok, b)
			} else {
				tok = append(tok[:64], 0) // too long to be one of ours
			}
		}
	}
}

func pdfIsInt(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func pdfDelimiter(b byte) bool {
	switch b {
	case 0, '\t', '\n', '\f', '\r', ' ', '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

// pdfDecodeName undoes #xx escapes; a bad escape is kept as is, as a
// lenient reader would.
func pdfDecodeName(tok []byte) (string, bool) {
	if len(tok) == 0 || len(tok) > 64 {
		return "", false
	}
	out := make([]byte, 0, len(tok))
	for i := 0; i < len(tok); i++ {
		if tok[i] == '#' && i+2 < len(tok) && pdfHex(tok[i+1]) >= 0 && pdfHex(tok[i+2]) >= 0 {
			out = append(out, byte(pdfHex(tok[i+1])<<4|pdfHex(tok[i+2])))
			i += 2
			continue
		}
		out = append(out, tok[i])
	}
	return string(out), true
}

func pdfHex(b byte) int {
	switch {
	case '0' <= b && b <= '9':
		return int(b - '0')
	case 'a' <= b && b <= 'f':
		return int(b-'a') + 10
	case 'A' <= b && b <= 'F':
		return int(b-'A') + 10
	}
	return -1
}
