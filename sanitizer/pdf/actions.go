package pdf

import (
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// actionCategory names the Removed category of an action type.
func actionCategory(s string) string {
	switch s {
	case "JavaScript", "Launch", "SubmitForm", "ImportData", "ResetForm", "GoToR",
		"GoToE", "URI", "Sound", "Movie", "Rendition":
		return strings.ToLower(s)
	case "RichMediaExecute":
		return "richmedia"
	case "GoTo3DView":
		return "3d"
	}
	return "action"
}

func annotCategory(s string) string {
	switch s {
	case "FileAttachment":
		return "file-attachment"
	case "Sound", "Movie", "Screen", "RichMedia", "3D":
		return strings.ToLower(s)
	}
	return "annotation"
}

// countActions counts the categories of an action and its /Next chain
// (§12.6.2) without keeping any of it.
func (d *disarmer) countActions(v types.Object, depth int) {
	if depth > 64 {
		return
	}
	o, err := d.deref(v)
	if err != nil {
		return
	}
	switch t := o.(type) {
	case types.Array:
		// An array of actions (/Next) or a destination (/OpenAction).
		for _, e := range t {
			if a := d.derefDict(e); a != nil && (a["S"] != nil || a["JS"] != nil) {
				d.countActions(e, depth+1)
			}
		}
	case types.Dict:
		if s := t.NameEntry("S"); s != nil && actionTypes[*s] {
			if !d.safeActionType(t) {
				d.removed.add(actionCategory(*s), 1)
			}
		} else if _, ok := t["JS"]; ok {
			d.removed.add("javascript", 1)
		}
		if n, ok := t["Next"]; ok {
			d.countActions(n, depth+1)
		}
		if ir, ok := v.(types.IndirectRef); ok {
			d.state[int(ir.ObjectNumber)] = refDropped
		}
	}
}

// countAA counts the actions of an additional-actions dictionary.
func (d *disarmer) countAA(v types.Object) {
	for _, a := range d.derefDict(v) {
		d.countActions(a, 0)
	}
	if ir, ok := v.(types.IndirectRef); ok {
		d.state[int(ir.ObjectNumber)] = refDropped
	}
}

// countNameTree counts the leaf entries of a name tree (§7.9.6).
func (d *disarmer) countNameTree(v types.Object) int {
	n := 0
	seen := map[int]bool{}
	var walk func(o types.Object, depth int)
	walk = func(o types.Object, depth int) {
		if depth > 32 {
			return
		}
		if ir, ok := o.(types.IndirectRef); ok {
			if seen[int(ir.ObjectNumber)] {
				return
			}
			seen[int(ir.ObjectNumber)] = true
		}
		t := d.derefDict(o)
		if names, ok := d.derefArray(t["Names"]); ok {
			n += len(names) / 2
		}
		if kids, ok := d.derefArray(t["Kids"]); ok {
			for _, k := range kids {
				walk(k, depth+1)
			}
		}
	}
	walk(v, 0)
	if n == 0 {
		n = 1 // an empty or broken tree still counts as found
	}
	return n
}

// classify tells whether a dictionary must go as a whole, and under which
// category it is counted ("" for harmless leftovers).
func (d *disarmer) classify(t types.Dict) (string, bool) {
	typ, sub := nameOf(t, "Type"), nameOf(t, "Subtype")
	switch typ {
	case "EmbeddedFile", "Filespec":
		return "embedded-file", true
	case "Rendition", "MediaClip", "MediaPlayerInfo", "MediaPlayers":
		return "rendition", true
	case "Sound":
		return "sound", true
	case "3D", "3DView":
		return "3d", true
	case "RichMediaContent", "RichMediaSettings", "RichMediaInstance", "RichMediaConfiguration":
		return "richmedia", true
	}
	if _, ok := t["EF"]; ok {
		return "embedded-file", true
	}
	if _, ok := t["RF"]; ok {
		return "embedded-file", true
	}
	if (typ == "Annot" || (annotSubtypes[sub] && t["Rect"] != nil)) && !allowedAnnots[sub] {
		return annotCategory(sub), true
	}
	if typ == "XObject" || typ == "" {
		if sub == "PS" || nameOf(t, "Subtype2") == "PS" {
			return "postscript", true
		}
	}
	if s := nameOf(t, "S"); actionTypes[s] && !d.safeActionType(t) {
		return actionCategory(s), true
	}
	return "", false
}

func (d *disarmer) safeActionType(t types.Dict) bool {
	switch nameOf(t, "S") {
	case "GoTo":
		return true
	case "Named":
		return standardNamed[nameOf(t, "N")]
	case "URI":
		return d.opts.Links == LinksKeep
	}
	return false
}

// rebuildAction returns a new, safe action with only the entries its type
// needs and no /Next chain, or nil if the action must go.
func (d *disarmer) rebuildAction(a types.Dict, count bool) types.Dict {
	if !d.safeActionType(a) {
		return nil
	}
	r := types.NewDict()
	r["S"] = a["S"]
	switch nameOf(a, "S") {
	case "GoTo":
		dest, ok := a["D"]
		if !ok {
			return nil
		}
		r["D"] = dest
	case "Named":
		r["N"] = a["N"]
	case "URI":
		u, err := d.deref(a["URI"])
		if err != nil {
			return nil
		}
		switch u.(type) {
		case types.StringLiteral, types.HexLiteral:
			r["URI"] = u
		default:
			return nil
		}
	}
	if n, ok := a["Next"]; ok && count {
		d.countActions(n, 0)
	}
	return r
}

// uselessLink reports a Link annotation without destination or action.
func (d *disarmer) uselessLink(t types.Dict) bool {
	if nameOf(t, "Subtype") != "Link" {
		return false
	}
	_, a := t["A"]
	_, dest := t["Dest"]
	return !a && !dest
}

// uselessLinkAfterSanitize sanitizes the /A of an indirect Link annotation
// early so that the reference to it can be dropped.
func (d *disarmer) uselessLinkAfterSanitize(t types.Dict) bool {
	if nameOf(t, "Subtype") != "Link" {
		return false
	}
	if v, ok := t["A"]; ok {
		a := d.derefDict(v)
		if a == nil || d.rebuildAction(a, false) == nil {
			d.countActions(v, 0)
			delete(t, "A")
		} else {
			t["A"] = d.rebuildAction(a, true)
		}
	}
	if v, ok := t["AA"]; ok {
		d.removed.add("additional-actions", 1)
		d.countAA(v)
		delete(t, "AA")
	}
	if v, ok := t["PA"]; ok {
		d.countActions(v, 0)
		delete(t, "PA")
	}
	return d.uselessLink(t)
}
