package office

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// The parts are re-serialized token by token. encoding/xml's Encoder
// rewrites namespace prefixes (it would write xmlns="…" on every element
// and invent prefixes), which Office refuses, and mc:Ignorable names
// prefixes by their text. So the reader uses RawToken, which keeps the
// prefixes as written, resolves them itself for the decisions, and the
// writer writes the raw prefixed names back.

type tokKind uint8

const (
	tStart tokKind = iota + 1
	tEnd
	tText
)

// tok is one token with its names resolved. name and attrs keep the raw
// prefix in Space; ns/local are the resolved namespace (strict OOXML
// namespaces mapped to their transitional twins) and local name.
type tok struct {
	kind     tokKind
	name     xml.Name
	attrs    []xml.Attr
	attrNS   []string
	text     []byte
	ns       string
	local    string
	ev       int  // Word field event index, -1 if none
	captured bool // already buffered and replayed once
}

func (t *tok) is(ns, local string) bool { return t.ns == ns && t.local == local }

// attr returns the value of the attribute in namespace ns ("" for none).
func (t *tok) attr(ns, local string) (string, bool) {
	for i, a := range t.attrs {
		if t.attrNS[i] == ns && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// declaresNS reports whether the element carries xmlns declarations.
func (t *tok) declaresNS() bool {
	for _, a := range t.attrs {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			return true
		}
	}
	return false
}

type nsDecl struct {
	prefix, uri string
	depth       int
}

type elemFrame struct{ ns, local, raw string }

// xreader reads one XML part as resolved tokens, with limits.
type xreader struct {
	d      *xml.Decoder
	lim    Limits
	decls  []nsDecl
	stack  []elemFrame
	word   bool // number Word run-child events
	ev     int
	seenEl bool
	done   bool
}

func newXReader(r io.Reader, lim Limits, word bool) *xreader {
	d := xml.NewDecoder(r)
	d.Strict = true
	return &xreader{d: d, lim: lim, word: word}
}

const xmlNS = "http://www.w3.org/XML/1998/namespace"

func (r *xreader) resolve(prefix string, elem bool) (string, error) {
	if prefix == "xml" {
		return xmlNS, nil
	}
	if prefix == "" && !elem {
		return "", nil
	}
	for i := len(r.decls) - 1; i >= 0; i-- {
		if r.decls[i].prefix == prefix {
			return normNS(r.decls[i].uri), nil
		}
	}
	if prefix == "" {
		return "", nil
	}
	return "", fmt.Errorf("office: undeclared namespace prefix %q", prefix)
}

// next returns the next start, end or text token; io.EOF at the end.
// Comments, processing instructions and the XML declaration are dropped
// (the writer writes its own declaration); a DOCTYPE is refused.
func (r *xreader) next() (*tok, error) {
	for {
		if r.done {
			return nil, io.EOF
		}
		raw, err := r.d.RawToken()
		if err == io.EOF {
			if len(r.stack) != 0 || !r.seenEl {
				return nil, errors.New("office: XML part ends early")
			}
			r.done = true
			return nil, io.EOF
		}
		if err != nil {
			return nil, fmt.Errorf("office: XML: %w", err)
		}
		switch x := raw.(type) {
		case xml.StartElement:
			if len(r.stack) == 0 && r.seenEl {
				return nil, errors.New("office: XML part has two root elements")
			}
			r.seenEl = true
			if len(r.stack) >= r.lim.MaxXMLDepth {
				return nil, fmt.Errorf("%w: XML nested deeper than %d", ErrLimit, r.lim.MaxXMLDepth)
			}
			if len(x.Attr) > r.lim.MaxAttrs {
				return nil, fmt.Errorf("%w: element with %d attributes", ErrLimit, len(x.Attr))
			}
			depth := len(r.stack) + 1
			seen := make(map[xml.Name]bool, len(x.Attr))
			for _, a := range x.Attr {
				if seen[a.Name] {
					return nil, fmt.Errorf("office: duplicate attribute %s:%s", a.Name.Space, a.Name.Local)
				}
				seen[a.Name] = true
				switch {
				case a.Name.Space == "xmlns":
					r.decls = append(r.decls, nsDecl{a.Name.Local, a.Value, depth})
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					r.decls = append(r.decls, nsDecl{"", a.Value, depth})
				}
			}
			t := &tok{kind: tStart, name: x.Name, attrs: x.Attr, ev: -1}
			if t.ns, err = r.resolve(x.Name.Space, true); err != nil {
				return nil, err
			}
			t.local = x.Name.Local
			t.attrNS = make([]string, len(x.Attr))
			for i, a := range x.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					t.attrNS[i] = "xmlns"
					continue
				}
				if t.attrNS[i], err = r.resolve(a.Name.Space, false); err != nil {
					return nil, err
				}
			}
			if r.word && len(r.stack) > 0 {
				p := r.stack[len(r.stack)-1]
				if p.ns == nsW && p.local == "r" && !(t.ns == nsW && t.local == "rPr") {
					t.ev = r.ev
					r.ev++
				}
			}
			r.stack = append(r.stack, elemFrame{t.ns, t.local, rawName(x.Name)})
			return t, nil
		case xml.EndElement:
			if len(r.stack) == 0 || r.stack[len(r.stack)-1].raw != rawName(x.Name) {
				return nil, fmt.Errorf("office: XML end element %s does not match", rawName(x.Name))
			}
			f := r.stack[len(r.stack)-1]
			depth := len(r.stack)
			r.stack = r.stack[:len(r.stack)-1]
			for len(r.decls) > 0 && r.decls[len(r.decls)-1].depth == depth {
				r.decls = r.decls[:len(r.decls)-1]
			}
			return &tok{kind: tEnd, name: x.Name, ns: f.ns, local: f.local, ev: -1}, nil
		case xml.CharData:
			if len(r.stack) == 0 {
				if len(bytes.TrimSpace(x)) != 0 {
					return nil, errors.New("office: text outside the root element")
				}
				continue
			}
			return &tok{kind: tText, text: bytes.Clone(x), ev: -1}, nil
		case xml.Directive:
			return nil, errors.New("office: XML part has a DOCTYPE or other directive")
		case xml.ProcInst, xml.Comment:
			continue
		}
	}
}

func rawName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// xwriter writes tokens back with their original prefixes.
type xwriter struct {
	w       *bufio.Writer
	pending bool // a start tag is open and may still become empty "/>"
	err     error
}

func newXWriter(w io.Writer) *xwriter {
	x := &xwriter{w: bufio.NewWriterSize(w, 64<<10)}
	x.w.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n")
	return x
}

func (x *xwriter) closePending() {
	if x.pending {
		x.w.WriteByte('>')
		x.pending = false
	}
}

func (x *xwriter) start(t *tok, keep func(i int) bool) {
	x.closePending()
	x.w.WriteByte('<')
	x.w.WriteString(rawName(t.name))
	for i, a := range t.attrs {
		if keep != nil && !keep(i) {
			continue
		}
		x.w.WriteByte(' ')
		x.w.WriteString(rawName(a.Name))
		x.w.WriteString(`="`)
		escapeAttr(x.w, a.Value)
		x.w.WriteByte('"')
	}
	x.pending = true
}

func (x *xwriter) end(t *tok) {
	if x.pending {
		x.w.WriteString("/>")
		x.pending = false
		return
	}
	x.w.WriteString("</")
	x.w.WriteString(rawName(t.name))
	x.w.WriteByte('>')
}

func (x *xwriter) text(b []byte) {
	x.closePending()
	escapeText(x.w, b)
}

func (x *xwriter) flush() error {
	if x.pending {
		return errors.New("office: internal: unclosed element")
	}
	return x.w.Flush()
}

func escapeText(w *bufio.Writer, b []byte) {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch r {
		case '&':
			w.WriteString("&amp;")
		case '<':
			w.WriteString("&lt;")
		case '>':
			w.WriteString("&gt;")
		case '\r':
			w.WriteString("&#xD;")
		default:
			w.Write(b[:n])
		}
		b = b[n:]
	}
}

func escapeAttr(w *bufio.Writer, s string) {
	for _, r := range s {
		switch r {
		case '&':
			w.WriteString("&amp;")
		case '<':
			w.WriteString("&lt;")
		case '>':
			w.WriteString("&gt;")
		case '"':
			w.WriteString("&quot;")
		case '\t':
			w.WriteString("&#x9;")
		case '\n':
			w.WriteString("&#xA;")
		case '\r':
			w.WriteString("&#xD;")
		default:
			w.WriteRune(r)
		}
	}
}
