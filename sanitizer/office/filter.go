package office

import (
	"fmt"
	"io"
	"strings"
)

// partCtx is what the filter of one XML part knows: the relationship IDs
// the part still has, the options, and where to count removals.
type partCtx struct {
	name    string
	kept    map[string]bool // relationship IDs kept for this part
	opts    Options
	removed map[string]int
	plan    *fieldPlan // Word parts only
	// sheetsGone lists, for a workbook part, the positions in <sheets> of
	// the sheets whose part was dropped (macro and dialog sheets).
	sheetsGone []int
}

type action int

const (
	keep action = iota
	drop
	unwrap  // drop the tags, keep the children
	capture // buffer the element to decide on its content
)

type filter struct {
	rd    *xreader
	w     *xwriter
	pc    *partCtx
	queue []*tok // captured tokens being replayed
	open  []bool // per open input element: whether its tags are written
}

// filterXML re-serializes one XML part from src to dst, dropping what the
// rules drop. Nothing is byte-copied: every token is re-written.
func filterXML(dst io.Writer, src io.Reader, pc *partCtx) error {
	f := &filter{rd: newXReader(src, pc.opts.Limits, pc.plan != nil), w: newXWriter(dst), pc: pc}
	for {
		t, err := f.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch t.kind {
		case tText:
			f.w.text(t.text)
		case tEnd:
			if len(f.open) == 0 {
				return fmt.Errorf("office: internal: unbalanced end in %s", pc.name)
			}
			if f.open[len(f.open)-1] {
				f.w.end(t)
			}
			f.open = f.open[:len(f.open)-1]
		case tStart:
			act, keepAttr := f.decide(t)
			if act == capture {
				buf, err := f.captureSubtree(t)
				if err != nil {
					return err
				}
				act = f.judge(buf)
				if act == keep {
					f.queue = append(buf, f.queue...)
					continue
				}
				// dropped whole
				continue
			}
			switch act {
			case drop:
				if err := f.skip(t); err != nil {
					return err
				}
			case unwrap:
				f.open = append(f.open, false)
			default:
				f.w.start(t, keepAttr)
				f.open = append(f.open, true)
			}
		}
	}
	if len(f.open) != 0 {
		return fmt.Errorf("office: internal: unclosed elements in %s", pc.name)
	}
	return f.w.flush()
}

func (f *filter) next() (*tok, error) {
	if len(f.queue) > 0 {
		t := f.queue[0]
		f.queue = f.queue[1:]
		return t, nil
	}
	return f.rd.next()
}

// skip drops the subtree whose start t was just read, counting the OLE
// objects and controls in it (outside mc:Fallback, which repeats them).
func (f *filter) skip(t *tok) error {
	depth, fallback := 1, 0
	f.countDropped(t, false)
	inObject := t.is(nsW, "object")
	for depth > 0 {
		u, err := f.next()
		if err != nil {
			if err == io.EOF {
				return fmt.Errorf("office: XML part %s ends inside an element", f.pc.name)
			}
			return err
		}
		switch u.kind {
		case tStart:
			depth++
			if u.local == "Fallback" {
				fallback++
			}
			f.countDropped(u, fallback > 0 || (inObject && u.is(nsO, "OLEObject")))
		case tEnd:
			depth--
			if u.local == "Fallback" {
				fallback--
			}
		}
	}
	return nil
}

// countDropped counts the active objects inside a dropped subtree
// (an o:OLEObject inside a w:object is one object; its relationship is
// not counted again).
func (f *filter) countDropped(t *tok, inFallback bool) {
	if inFallback {
		return
	}
	switch {
	case t.is(nsW, "object"), t.is(nsO, "OLEObject"), t.is(nsX, "oleObject"), t.is(nsP, "oleObj"):
		f.pc.removed["ole"]++
	case t.is(nsW, "control"), t.is(nsX, "control"), t.is(nsP, "control"):
		f.pc.removed["activex"]++
	case t.is(nsX, "ddeLink"):
		f.pc.removed["dde"]++
	case t.is(nsX, "externalReference"):
		// counted with its relationship
	}
}

// captureSubtree reads the element t whole into a buffer, bounded.
func (f *filter) captureSubtree(t *tok) ([]*tok, error) {
	t.captured = true
	buf := []*tok{t}
	depth := 1
	for depth > 0 {
		u, err := f.next()
		if err != nil {
			if err == io.EOF {
				return nil, fmt.Errorf("office: XML part %s ends inside an element", f.pc.name)
			}
			return nil, err
		}
		if len(buf) >= f.pc.opts.Limits.MaxCapture {
			return nil, fmt.Errorf("%w: element %s in %s is too large", ErrLimit, t.local, f.pc.name)
		}
		buf = append(buf, u)
		switch u.kind {
		case tStart:
			depth++
		case tEnd:
			depth--
		}
	}
	return buf, nil
}

// judge decides on a captured element from its content.
func (f *filter) judge(buf []*tok) action {
	t := buf[0]
	switch {
	case t.local == "f" && isFormulaNS(t.ns):
		var b strings.Builder
		for _, u := range buf {
			if u.kind == tText {
				b.Write(u.text)
			}
		}
		if cat := formulaVerdict(b.String()); cat != "" {
			f.pc.removed[cat]++
			return drop
		}
	case t.is(nsP, "graphicFrame"):
		for _, u := range buf {
			if u.kind == tStart && (u.is(nsP, "oleObj") || u.is(nsP, "control")) {
				if u.local == "control" {
					f.pc.removed["activex"]++
				} else {
					f.pc.removed["ole"]++
				}
				return drop
			}
		}
	}
	return keep
}

// attrOnly lists elements that stay when a relationship they point at was
// dropped: only the reference attribute goes (a link becomes plain text,
// a linked picture an empty frame).
func attrOnly(t *tok) bool {
	switch {
	case t.is(nsW, "hyperlink"), t.is(nsA, "blip"), t.is(nsV, "imagedata"), t.is(nsV, "fill"),
		t.is(nsX, "hyperlink"), t.is(nsX, "pageSetup"), t.is(nsX, "sheetPr"):
		return true
	}
	return false
}

// decide returns what to do with start element t and, when it is kept,
// which attributes survive.
func (f *filter) decide(t *tok) (action, func(int) bool) {
	pc := f.pc
	if t.ev >= 0 && pc.plan != nil && pc.plan.drops(t.ev) {
		return drop, nil
	}
	if t.local == "f" && isFormulaNS(t.ns) && !t.captured {
		return capture, nil
	}
	// Field codes outside WordprocessingML, or in a part that is not a
	// Word part, have no business there.
	switch t.local {
	case "instrText", "delInstrText":
		if t.ns != nsW || pc.plan == nil {
			pc.removed["field"]++
			return drop, nil
		}
	case "fldSimple":
		if t.ns != nsW {
			pc.removed["field"]++
			return drop, nil
		}
	case "hlinkClick", "hlinkHover", "hlinkMouseOver":
		if act, _ := t.attr("", "action"); act != "" && !safePPAction(act) {
			pc.removed["action"]++
			return drop, nil
		}
	}
	switch t.ns {
	case nsW:
		switch t.local {
		case "object":
			return drop, nil
		case "control":
			return drop, nil
		case "fldData", "altChunk", "subDoc", "attachedTemplate":
			return drop, nil
		case "mailMerge":
			pc.removed["mail-merge"]++
			return drop, nil
		case "fldSimple":
			instr, _ := t.attr(nsW, "instr")
			if cat := fieldVerdict(instr, pc.opts); cat != "" {
				pc.removed[cat]++
				if t.declaresNS() {
					return drop, nil
				}
				return unwrap, nil
			}
		}
	case nsO:
		if t.local == "OLEObject" {
			return drop, nil
		}
	case nsX:
		switch t.local {
		case "oleObjects", "controls", "oleObject", "control", "externalReferences", "externalReference",
			"webPublishObjects", "webPublishing", "ddeLink":
			return drop, nil
		case "definedName":
			name, _ := t.attr("", "name")
			if isAutoMacroName(name) {
				pc.removed["macro"]++
				return drop, nil
			}
			if !renumberSheet(t, "localSheetId", pc.sheetsGone, false) {
				return drop, nil
			}
		case "workbookView":
			renumberSheet(t, "activeTab", pc.sheetsGone, true)
			renumberSheet(t, "firstSheet", pc.sheetsGone, true)
		}
	case nsP:
		switch t.local {
		case "graphicFrame":
			if !t.captured {
				return capture, nil
			}
		case "controls", "oleObj", "control":
			return drop, nil
		}
	case nsXV:
		if t.local == "FmlaMacro" {
			pc.removed["macro"]++
			return drop, nil
		}
	}
	// References to relationships that were dropped (or never existed).
	var strip []int
	for i := range t.attrs {
		ns, local := t.attrNS[i], t.attrs[i].Name.Local
		isRef := ns == nsR || (ns == nsO && local == "relid")
		vml := (t.ns == nsV || t.ns == nsO) && (local == "href" || local == "src" || local == "althref")
		// xdr:sp macro="[0]!Macro1": a shape that runs a macro when clicked.
		assigned := ns == "" && local == "macro"
		if vml || assigned {
			if assigned && t.attrs[i].Value != "" {
				pc.removed["macro"]++
			}
			strip = append(strip, i)
			continue
		}
		if !isRef {
			continue
		}
		v := t.attrs[i].Value
		if v == "" || pc.kept[v] {
			continue
		}
		if !attrOnly(t) {
			return drop, nil
		}
		strip = append(strip, i)
	}
	if len(strip) == 0 {
		return keep, nil
	}
	return keep, func(i int) bool {
		for _, s := range strip {
			if s == i {
				return false
			}
		}
		return true
	}
}

// safePPAction reports DrawingML click actions that only move within the
// presentation ([MS-PPTX] / ECMA-376 Part 1 §21.1.2.3.5): no program,
// macro, OLE verb or unknown scheme.
func safePPAction(a string) bool {
	a = strings.ToLower(a)
	for _, p := range []string{"ppaction://hlinkshowjump", "ppaction://hlinksldjump", "ppaction://customshow", "ppaction://noaction"} {
		if strings.HasPrefix(a, p) {
			return true
		}
	}
	return false
}
