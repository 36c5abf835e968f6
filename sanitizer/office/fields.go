package office

import (
	"io"
	"net/url"
	"strings"
)

// Word fields (ECMA-376 Part 1 §17.16). A complex field is a run of
// w:fldChar begin, w:instrText pieces (possibly with nested fields), an
// optional w:fldChar separate, the displayed result, and w:fldChar end;
// it may span runs and paragraphs. A simple field is w:fldSimple with the
// instruction in w:instr around its result.
//
// Fields are judged by an allow-list of instruction keywords. A field
// outside it (DDE, DDEAUTO, INCLUDETEXT, INCLUDEPICTURE, IMPORT, LINK,
// EMBED, MACROBUTTON, DATABASE, PRINT, …) loses its instruction and its
// field characters; its last displayed result stays as plain text. A field
// whose instruction begins with, or contains, a field that is removed is
// removed too: instructions assembled from nested QUOTE or SET fields are
// the usual way to hide "DDEAUTO" from scanners.

var safeFields = map[string]bool{
	"PAGE": true, "NUMPAGES": true, "SECTIONPAGES": true, "SECTION": true, "DATE": true, "TIME": true,
	"CREATEDATE": true, "SAVEDATE": true, "PRINTDATE": true, "EDITTIME": true, "TOC": true, "TOA": true,
	"TA": true, "TC": true, "XE": true, "INDEX": true, "REF": true, "PAGEREF": true, "NOTEREF": true,
	"STYLEREF": true, "SEQ": true, "LISTNUM": true, "AUTONUM": true, "AUTONUMLGL": true, "AUTONUMOUT": true,
	"=": true, "IF": true, "COMPARE": true, "QUOTE": true, "SYMBOL": true, "EQ": true, "ADVANCE": true,
	"AUTHOR": true, "TITLE": true, "SUBJECT": true, "KEYWORDS": true, "COMMENTS": true, "LASTSAVEDBY": true,
	"NUMWORDS": true, "NUMCHARS": true, "FILENAME": true, "FILESIZE": true, "REVNUM": true, "TEMPLATE": true,
	"DOCPROPERTY": true, "DOCVARIABLE": true, "INFO": true, "USERNAME": true, "USERINITIALS": true,
	"USERADDRESS": true, "MERGEFIELD": true, "MERGEREC": true, "MERGESEQ": true, "NEXT": true, "NEXTIF": true,
	"SKIPIF": true, "GREETINGLINE": true, "ADDRESSBLOCK": true, "FORMTEXT": true, "FORMCHECKBOX": true,
	"FORMDROPDOWN": true, "BIDIOUTLINE": true, "BARCODE": true, "DISPLAYBARCODE": true, "MERGEBARCODE": true,
	"CITATION": true, "BIBLIOGRAPHY": true, "SHAPE": true, "GOTOBUTTON": true, "SET": true,
}

// fieldVerdict returns "" for an allowed instruction, else the removal
// category: "dde" for DDE and DDEAUTO, "hyperlink" for removed links,
// "field" for the rest.
func fieldVerdict(instr string, opts Options) string {
	words := strings.Fields(instr)
	if len(words) == 0 {
		return "field"
	}
	kw := strings.ToUpper(words[0])
	if strings.HasPrefix(kw, "=") {
		kw = "="
	}
	switch {
	case kw == "DDE" || kw == "DDEAUTO":
		return "dde"
	case kw == "HYPERLINK":
		return hyperlinkFieldVerdict(words[1:], opts)
	case safeFields[kw]:
		return ""
	}
	return "field"
}

// hyperlinkFieldVerdict: a link within the document (\l bookmark only)
// stays; a link out follows the link policy (§17.16.5.25).
func hyperlinkFieldVerdict(args []string, opts Options) string {
	var target string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, `\`) {
			if len(a) == 2 && strings.ContainsRune(`lmotn`, rune(a[1])) && a != `\m` && a != `\n` && i+1 < len(args) {
				i++ // switch argument
			}
			continue
		}
		if target == "" {
			target = strings.Trim(a, `"`)
		}
	}
	if target == "" {
		return ""
	}
	if opts.KeepHyperlinks && plainLink(target) {
		return ""
	}
	return "hyperlink"
}

// plainLink reports an absolute http, https or mailto URL.
func plainLink(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.Host != ""
	case "mailto":
		return u.Opaque != ""
	}
	return false
}

type field struct {
	parent        int
	inParentInstr bool
	inInstr       bool
	instr         strings.Builder
	startsNested  bool
	nested        []int // fields begun in this one's instruction
	danger        bool
	category      string
}

type fieldEvent struct {
	field   int // -1: stray field character
	inInstr bool
	own     bool // a field character of this field
}

// fieldPlan says, per run-child event index, whether it goes.
type fieldPlan struct {
	fields []*field
	events map[int]fieldEvent
}

const maxInstr = 8 << 10

// planFields reads a Word part once and decides which fields are removed.
func planFields(src io.Reader, lim Limits, opts Options) (*fieldPlan, error) {
	rd := newXReader(src, lim, true)
	p := &fieldPlan{events: map[int]fieldEvent{}}
	var stack []int
	inInstrText := -1 // field collecting instruction text, or -1
	depthInstr := 0
	for {
		t, err := rd.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tText:
			if inInstrText >= 0 {
				f := p.fields[inInstrText]
				if f.instr.Len() < maxInstr {
					f.instr.Write(t.text)
				}
			}
		case tEnd:
			if depthInstr > 0 {
				depthInstr--
				if depthInstr == 0 {
					inInstrText = -1
				}
			}
		case tStart:
			if depthInstr > 0 {
				depthInstr++
			}
			if t.ev < 0 {
				continue
			}
			top := -1
			if len(stack) > 0 {
				top = stack[len(stack)-1]
			}
			switch {
			case t.is(nsW, "fldChar"):
				typ, _ := t.attr(nsW, "fldCharType")
				switch typ {
				case "begin":
					f := &field{parent: top, inInstr: true}
					id := len(p.fields)
					if top >= 0 {
						pf := p.fields[top]
						f.inParentInstr = pf.inInstr
						if pf.inInstr {
							pf.nested = append(pf.nested, id)
							if strings.TrimSpace(pf.instr.String()) == "" {
								pf.startsNested = true
							}
						}
					}
					p.fields = append(p.fields, f)
					stack = append(stack, id)
					p.events[t.ev] = fieldEvent{field: id, own: true}
				case "separate":
					p.events[t.ev] = fieldEvent{field: top, own: true}
					if top >= 0 {
						p.fields[top].inInstr = false
					}
				case "end":
					p.events[t.ev] = fieldEvent{field: top, own: true}
					if top >= 0 {
						stack = stack[:len(stack)-1]
					}
				default:
					p.events[t.ev] = fieldEvent{field: -1}
				}
			case t.is(nsW, "instrText"), t.is(nsW, "delInstrText"):
				p.events[t.ev] = fieldEvent{field: top, inInstr: true}
				if top >= 0 {
					inInstrText, depthInstr = top, 1
				} else {
					depthInstr = 1
				}
			default:
				if top >= 0 {
					p.events[t.ev] = fieldEvent{field: top, inInstr: p.fields[top].inInstr}
				}
			}
		}
	}
	// Children have larger IDs than their parents: decide bottom-up.
	for id := len(p.fields) - 1; id >= 0; id-- {
		f := p.fields[id]
		f.category = fieldVerdict(f.instr.String(), opts)
		if f.startsNested && f.category == "" {
			f.category = "field"
		}
		for _, c := range f.nested {
			if p.fields[c].danger && f.category == "" {
				f.category = "field"
			}
		}
		f.danger = f.category != ""
	}
	return p, nil
}

// suppressed reports whether content of field id, in its instruction
// (inInstr) or result, lies inside the instruction of a removed field.
func (p *fieldPlan) suppressed(id int, inInstr bool) bool {
	for id >= 0 {
		f := p.fields[id]
		if inInstr && f.danger {
			return true
		}
		if !f.inParentInstr {
			return false
		}
		id, inInstr = f.parent, true
	}
	return false
}

// drops reports whether the run child with event index ev is removed.
func (p *fieldPlan) drops(ev int) bool {
	e, ok := p.events[ev]
	if !ok {
		return false
	}
	if e.field < 0 {
		return e.own || e.inInstr
	}
	if e.own {
		f := p.fields[e.field]
		return f.danger || (f.inParentInstr && p.suppressed(f.parent, true))
	}
	return p.suppressed(e.field, e.inInstr)
}

// count adds the removed fields to the removal counts, once each, not
// counting those inside the instruction of another removed field.
func (p *fieldPlan) count(removed map[string]int) {
	for _, f := range p.fields {
		if f.danger && !(f.inParentInstr && p.suppressed(f.parent, true)) {
			removed[f.category]++
		}
	}
}
