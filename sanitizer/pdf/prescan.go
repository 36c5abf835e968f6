package pdf

import (
	"bufio"
	"context"
	"errors"
	"io"
)

// errFilterRef refuses a /Filter or /DecodeParms given as an indirect
// reference.
//
// QUIRK: pdfcpu resolves such a reference while it parses the stream that
// holds it (pkg/pdfcpu/read.go:2331, pdfFilterPipeline →
// dereferencedObject → ParseObjectWithContext); a stream whose /Filter
// refers to itself, or two that refer to each other, recurse until the Go
// runtime stops the whole process with a fatal stack overflow, which no
// recover can catch. Writers put these entries directly in the stream
// dictionary (ISO 32000-1 §7.3.8.2 allows a reference, no writer mugai
// has seen uses one), so mugai refuses the file before pdfcpu sees it.
var errFilterRef = errors.New("pdf: a stream's /Filter or /DecodeParms is an indirect reference")

// prescan reads the whole file once, looking for errFilterRef.
func prescan(ctx context.Context, r io.ReadSeeker) error {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	defer r.Seek(0, io.SeekStart)
	br := bufio.NewReaderSize(r, 64<<10)
	n := 0
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if n++; n&0xFFFFF == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if c != '/' {
			continue
		}
		var name []byte
		for len(name) <= 64 {
			c, err := br.ReadByte()
			if err != nil {
				break
			}
			if isDelimiter(c) {
				_ = br.UnreadByte()
				break
			}
			name = append(name, c)
		}
		switch unescapeName(name) {
		case "Filter", "DecodeParms":
			if valueHasRef(br) {
				return errFilterRef
			}
		}
	}
}

// valueHasRef reports whether the value that comes next is a reference
// or an array with a reference among its elements (not inside the
// dictionaries it holds, which pdfcpu does not resolve while parsing).
func valueHasRef(br *bufio.Reader) bool {
	c := skipSpace(br)
	if c >= '0' && c <= '9' {
		_ = br.UnreadByte()
		return refFollows(br)
	}
	if c != '[' {
		if c == '/' {
			_ = br.UnreadByte()
		}
		return false
	}
	// Tokens of the array at its own level: "int int R" is a reference.
	var toks []string
	var tok []byte
	depth := 0 // of nested dictionaries and arrays
	end := func() {
		if len(tok) > 0 && depth == 0 {
			toks = append(toks, string(tok))
		}
		tok = tok[:0]
	}
	for i := 0; i < 1<<16; i++ {
		c := skipSpaceKeep(br)
		switch c {
		case 0:
			return false
		case ' ':
			end()
		case '<', '[':
			end()
			depth++
		case '>':
			end()
			depth = max(0, depth-1)
		case ']':
			end()
			if depth == 0 {
				for j := 2; j < len(toks); j++ {
					if toks[j] == "R" && isInt(toks[j-1]) && isInt(toks[j-2]) {
						return true
					}
				}
				return false
			}
			depth--
		case '/':
			end()
			tok = append(tok, c)
		default:
			tok = append(tok, c)
		}
	}
	return true // an array this long is not a filter list
}

func isInt(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// skipSpaceKeep is skipSpace that reports white space and comments as one
// ' ', for tokenizing.
func skipSpaceKeep(br *bufio.Reader) byte {
	c, err := br.ReadByte()
	if err != nil {
		return 0
	}
	switch c {
	case 0, '\t', '\n', '\f', '\r', ' ':
		return ' '
	case '%':
		for c != '\n' && c != '\r' {
			if c, err = br.ReadByte(); err != nil {
				return 0
			}
		}
		return ' '
	}
	return c
}

// refFollows reports whether "int int R" comes next, after white space
// and comments (§7.2.3, §7.3.10). It consumes what it reads but never a
// '/', so the caller's scan for names goes on.
func refFollows(br *bufio.Reader) bool {
	for _, want := range []byte{'0', '0', 'R'} {
		c := skipSpace(br)
		switch {
		case want == '0' && c >= '0' && c <= '9':
			for {
				c, err := br.ReadByte()
				if err != nil {
					return false
				}
				if c < '0' || c > '9' {
					_ = br.UnreadByte()
					break
				}
			}
		case want == 'R' && c == 'R':
			return true
		default:
			if c == '/' {
				_ = br.UnreadByte()
			}
			return false
		}
	}
	return false
}

// skipSpace returns the next byte that is neither white space nor part of
// a comment (0 at the end).
func skipSpace(br *bufio.Reader) byte {
	for {
		if c := skipSpaceKeep(br); c != ' ' {
			return c
		}
	}
}
