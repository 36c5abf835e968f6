package verify

// The shape check of a flattened PDF (PDFOptions.Flattened). Beyond the
// active-content check, every page must be exactly what mugai's
// flattener writes: one image drawn over the page, and at most an
// invisible text layer. It reads the parsed file with pdfcpu and lexes
// content streams itself (ISO 32000-1 §7.8.2, §9.4), sharing no code
// with the writer.

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/image/font/sfnt"
)

// flatMaxFontBytes bounds the glyphless font program.
const flatMaxFontBytes = 4096

// flatPages checks the shape of every page.
func (c *pdfChecker) flatPages(x *model.XRefTable) {
	for i := 1; i <= x.PageCount; i++ {
		if err := c.ctx.Err(); err != nil {
			return
		}
		if err := flatPage(x, i, c.opts.MaxStreamBytes); err != nil {
			c.problem("page %d: not a flattened page: %v", i, err)
		}
	}
}

// flatPage checks that page i has only /Type, /Parent, /MediaBox,
// /Resources and /Contents; resources of image XObjects and glyphless
// fonts only; and a content stream that draws images and, after them,
// only invisible text (flatContent). A page with neither resources nor
// contents is blank, and passes.
func flatPage(x *model.XRefTable, i int, maxStream int64) error {
	d, _, _, err := x.PageDict(i, false)
	if err != nil {
		return err
	}
	for k := range d {
		switch k {
		case "Type", "Parent", "MediaBox", "Resources", "Contents":
		default:
			return fmt.Errorf("page entry /%s", k)
		}
	}
	if d["Contents"] == nil && d["Resources"] == nil {
		return nil // a blank page
	}
	res, err := x.DereferenceDict(d["Resources"])
	if err != nil || res == nil {
		return fmt.Errorf("resources: %v", err)
	}
	images, fonts := map[string]bool{}, map[string]bool{}
	for k, v := range res {
		sub, err := x.DereferenceDict(v)
		if err != nil || sub == nil {
			return fmt.Errorf("resource /%s: %v", k, err)
		}
		for name, o := range sub {
			switch k {
			case "XObject":
				sd, _, err := x.DereferenceStreamDict(o)
				if err != nil || sd == nil || sd.Dict["Subtype"] != types.Name("Image") {
					return fmt.Errorf("XObject /%s is not an image", name)
				}
				if _, ok := sd.Dict["SMask"]; ok {
					return fmt.Errorf("image /%s has a soft mask", name)
				}
				images[name] = true
			case "Font":
				if err := glyphlessFont(x, o); err != nil {
					return fmt.Errorf("font /%s: %v", name, err)
				}
				fonts[name] = true
			default:
				return fmt.Errorf("resource /%s", k)
			}
		}
	}
	content, err := x.PageContent(d, i)
	if err != nil {
		return fmt.Errorf("content: %v", err)
	}
	if int64(len(content)) > maxStream {
		return fmt.Errorf("content of %d bytes", len(content))
	}
	return flatContent(content, images, fonts)
}

// glyphlessFont checks that o is a Type0 font (§9.7.6) in Identity-H or
// Identity-V over a CIDFontType2 whose only font program is a TrueType
// font of at most two glyphs, none with an outline: a font that can
// position text but never draw it.
func glyphlessFont(x *model.XRefTable, o types.Object) error {
	f, err := x.DereferenceDict(o)
	if err != nil || f == nil {
		return fmt.Errorf("not a dictionary: %v", err)
	}
	if f["Subtype"] != types.Name("Type0") {
		return fmt.Errorf("subtype %v", f["Subtype"])
	}
	if e := f["Encoding"]; e != types.Name("Identity-H") && e != types.Name("Identity-V") {
		return fmt.Errorf("encoding %v", e)
	}
	if _, ok := f["ToUnicode"]; !ok {
		return fmt.Errorf("no /ToUnicode")
	}
	desc, err := x.DereferenceArray(f["DescendantFonts"])
	if err != nil || len(desc) != 1 {
		return fmt.Errorf("descendant fonts %v", f["DescendantFonts"])
	}
	cid, err := x.DereferenceDict(desc[0])
	if err != nil || cid == nil || cid["Subtype"] != types.Name("CIDFontType2") {
		return fmt.Errorf("descendant is not a CIDFontType2")
	}
	fd, err := x.DereferenceDict(cid["FontDescriptor"])
	if err != nil || fd == nil {
		return fmt.Errorf("font descriptor: %v", err)
	}
	for _, k := range []string{"FontFile", "FontFile3"} {
		if _, ok := fd[k]; ok {
			return fmt.Errorf("font descriptor /%s", k)
		}
	}
	sd, _, err := x.DereferenceStreamDict(fd["FontFile2"])
	if err != nil || sd == nil {
		return fmt.Errorf("no /FontFile2: %v", err)
	}
	if err := sd.DecodeWithLimit(flatMaxFontBytes); err != nil || len(sd.Content) > flatMaxFontBytes {
		return fmt.Errorf("font program does not decode within %d bytes", flatMaxFontBytes)
	}
	ttf, err := sfnt.Parse(sd.Content)
	if err != nil {
		return fmt.Errorf("font program: %v", err)
	}
	n := ttf.NumGlyphs()
	if n > 2 {
		return fmt.Errorf("font program has %d glyphs", n)
	}
	var buf sfnt.Buffer
	for g := range n {
		segs, err := ttf.LoadGlyph(&buf, sfnt.GlyphIndex(g), 1000, nil)
		if err != nil || len(segs) > 0 {
			return fmt.Errorf("glyph %d has an outline", g)
		}
	}
	return nil
}

// flatContent checks a flattened page's content stream: one or more
// image draws (at most one per image of the page: the images of its
// places, then the page image),
//
//	q a 0 0 d e f cm /Image Do Q
//
// then any number of text objects, BT … ET, of only these operators:
// 3 Tr (invisible, before any text is shown), /Font size Tf, a b c d e f
// Tm, x y Td, s Tz, [hex or number …] TJ and hex Tj, with the fonts of
// the page's resources. Literal strings, other render modes, every other
// operator (paths, colours, marked content, inline images, XObjects of
// forms, clipping, the quote operators) fail.
func flatContent(b []byte, images, fonts map[string]bool) error {
	toks, err := flatTokens(b)
	if err != nil {
		return err
	}
	var ops []flatOp
	var operands []flatTok
	for _, t := range toks {
		if t.kind == flatOperator {
			ops = append(ops, flatOp{name: t.text, args: operands})
			operands = nil
			continue
		}
		operands = append(operands, t)
	}
	if len(operands) > 0 {
		return fmt.Errorf("operands after the last operator")
	}
	draws := 0
	for len(ops) >= 4*(draws+1) && ops[4*draws].name == "q" {
		d := ops[4*draws : 4*draws+4]
		for i, w := range []string{"q", "cm", "Do", "Q"} {
			if d[i].name != w {
				return fmt.Errorf("operator %d is %s, want %s", 4*draws+i+1, d[i].name, w)
			}
		}
		if !d[1].numbers(6) || d[1].args[1].num != 0 || d[1].args[2].num != 0 || len(d[0].args)+len(d[3].args) > 0 {
			return fmt.Errorf("image draw %d is not a scaling", draws+1)
		}
		if a := d[2].args; len(a) != 1 || a[0].kind != flatName || !images[a[0].text] {
			return fmt.Errorf("image draw %d does not name an image of the page", draws+1)
		}
		draws++
	}
	if draws == 0 || draws > len(images) {
		return fmt.Errorf("%d image draws for %d images", draws, len(images))
	}
	inText, invisible := false, false
	for i, op := range ops[4*draws:] {
		ok := false
		switch op.name {
		case "BT":
			ok, inText, invisible = !inText && len(op.args) == 0, true, false
		case "ET":
			ok, inText = inText && len(op.args) == 0, false
		case "Tr":
			ok = inText && op.numbers(1) && op.args[0].num == 3
			invisible = ok
		case "Tf":
			ok = inText && len(op.args) == 2 && op.args[0].kind == flatName && fonts[op.args[0].text] && op.args[1].kind == flatNumber
		case "Tm":
			ok = inText && op.numbers(6)
		case "Td":
			ok = inText && op.numbers(2)
		case "Tz":
			ok = inText && op.numbers(1)
		case "Tj":
			ok = inText && invisible && len(op.args) == 1 && op.args[0].kind == flatHex
		case "TJ":
			ok = inText && invisible && len(op.args) == 1 && op.args[0].kind == flatArray
		}
		if !ok {
			return fmt.Errorf("operator %d (%s) is not allowed there", 4*draws+i+1, op.name)
		}
	}
	if inText {
		return fmt.Errorf("a text object without ET")
	}
	return nil
}

type flatOp struct {
	name string
	args []flatTok
}

func (op flatOp) numbers(n int) bool {
	if len(op.args) != n {
		return false
	}
	for _, a := range op.args {
		if a.kind != flatNumber {
			return false
		}
	}
	return true
}

type flatKind int

const (
	flatNumber flatKind = iota
	flatName
	flatHex
	flatArray // a TJ array of hex strings and numbers
	flatOperator
)

type flatTok struct {
	kind flatKind
	text string
	num  float64
}

// flatTokens lexes a content stream (§7.2, §7.3) into numbers, names,
// hex strings, arrays of hex strings and numbers, and operators. Anything
// else (literal strings, dictionaries, nested arrays, comments, names in
// arrays, inline image data) is refused.
func flatTokens(b []byte) ([]flatTok, error) {
	var out []flatTok
	inArray := false
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0:
			i++
		case c == '[':
			if inArray {
				return nil, fmt.Errorf("nested array at %d", i)
			}
			inArray = true
			i++
		case c == ']':
			if !inArray {
				return nil, fmt.Errorf("] at %d", i)
			}
			inArray = false
			out = append(out, flatTok{kind: flatArray})
			i++
		case c == '<':
			j := bytes.IndexByte(b[i:], '>')
			if j < 0 {
				return nil, fmt.Errorf("unterminated hex string at %d", i)
			}
			for _, h := range b[i+1 : i+j] {
				if pdfHex(h) < 0 && h != ' ' && h != '\n' && h != '\r' {
					return nil, fmt.Errorf("not a hex string at %d", i)
				}
			}
			if !inArray {
				out = append(out, flatTok{kind: flatHex})
			}
			i += j + 1
		case c == '/':
			j := i + 1
			for j < len(b) && !pdfDelimiter(b[j]) {
				j++
			}
			if inArray {
				return nil, fmt.Errorf("name in an array at %d", i)
			}
			name, _ := pdfDecodeName(b[i+1 : j])
			out = append(out, flatTok{kind: flatName, text: name})
			i = j
		case c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9'):
			j := i
			for j < len(b) && !pdfDelimiter(b[j]) {
				j++
			}
			v, err := strconv.ParseFloat(string(b[i:j]), 64)
			if err != nil || bytes.ContainsAny(b[i:j], "eExXpP_") {
				return nil, fmt.Errorf("not a number %q at %d", b[i:j], i)
			}
			if !inArray {
				out = append(out, flatTok{kind: flatNumber, num: v})
			}
			i = j
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '\'' || c == '"' || c == '*':
			if inArray {
				return nil, fmt.Errorf("operator in an array at %d", i)
			}
			j := i
			for j < len(b) && !pdfDelimiter(b[j]) {
				j++
			}
			out = append(out, flatTok{kind: flatOperator, text: string(b[i:j])})
			i = j
		default:
			return nil, fmt.Errorf("byte %q at %d", c, i)
		}
	}
	if inArray {
		return nil, fmt.Errorf("unterminated array")
	}
	return out, nil
}
