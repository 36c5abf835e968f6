package pdf

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Allow-lists. Keys not listed are dropped from the rebuilt dictionary.
var (
	// ISO 32000-1 Table 28 (document catalog), harmless entries only.
	catalogKeys = set("Type", "Pages", "PageLabels", "Names", "Dests", "Outlines",
		"ViewerPreferences", "PageLayout", "PageMode", "Lang", "OCProperties",
		"AcroForm", "OutputIntents")
	// Table 29 (page tree node).
	pagesKeys = set("Type", "Kids", "Count", "Parent", "Resources", "MediaBox", "CropBox", "Rotate")
	// Table 30 (page object), harmless entries only.
	pageKeys = set("Type", "Parent", "Resources", "MediaBox", "CropBox", "BleedBox", "TrimBox",
		"ArtBox", "BoxColorInfo", "Contents", "Rotate", "Group", "Annots", "UserUnit", "Tabs")
	// Table 218 (interactive form dictionary) without XFA and CO.
	acroFormKeys = set("Fields", "NeedAppearances", "SigFlags", "DA", "DR", "Q")
	// Table 169 annotation subtypes mugai keeps (with dangerous entries removed).
	allowedAnnots = set("Text", "Link", "FreeText", "Line", "Square", "Circle", "Polygon",
		"PolyLine", "Highlight", "Underline", "Squiggly", "StrikeOut", "Stamp", "Caret",
		"Ink", "Popup", "Widget", "PrinterMark", "TrapNet", "Watermark", "Redact")
	// Every annotation subtype of ISO 32000-1 Table 169 and ISO 32000-2 Table 171.
	annotSubtypes = set("Text", "Link", "FreeText", "Line", "Square", "Circle", "Polygon",
		"PolyLine", "Highlight", "Underline", "Squiggly", "StrikeOut", "Stamp", "Caret",
		"Ink", "Popup", "FileAttachment", "Sound", "Movie", "Widget", "Screen",
		"PrinterMark", "TrapNet", "Watermark", "3D", "Redact", "Projection", "RichMedia")
	// Table 198 (action types) and ISO 32000-2 Table 201.
	actionTypes = set("GoTo", "GoToR", "GoToE", "GoToDp", "Launch", "Thread", "URI", "Sound",
		"Movie", "Hide", "Named", "SubmitForm", "ResetForm", "ImportData", "SetOCGState",
		"Rendition", "Trans", "GoTo3DView", "JavaScript", "RichMediaExecute")
	// §12.6.4.11: the named actions every reader must support.
	standardNamed = set("NextPage", "PrevPage", "FirstPage", "LastPage")
	// Stream filters whose output mugai decodes and re-encodes (§7.4).
	decodableFilters = set("FlateDecode", "LZWDecode", "ASCIIHexDecode", "ASCII85Decode", "RunLengthDecode")
	// Image codecs kept as encoded (§7.4.8-7.4.10, §7.4.7).
	imageFilters = set("DCTDecode", "JPXDecode", "JBIG2Decode", "CCITTFaxDecode")
)

func set(ss ...string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}

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

// disarmer rebuilds the object graph reachable from the catalog in place.
// Every indirect object is visited once from a work queue (no recursion
// over references); direct objects are bounded in depth by the parser.
type disarmer struct {
	ctx     context.Context
	x       *model.XRefTable
	opts    DisarmOptions
	removed Removed
	dryRun  bool // Inspect: count only; the context is thrown away after

	zw *zlib.Writer

	state map[int]refState
	queue []int
	steps int
}

type refState uint8

const (
	refKept refState = iota + 1
	refDropped
)

func newDisarmer(ctx context.Context, x *model.XRefTable, opts DisarmOptions) *disarmer {
	return &disarmer{ctx: ctx, x: x, opts: opts, removed: Removed{}, state: map[int]refState{}}
}

func (d *disarmer) tick() error {
	d.steps++
	if d.steps%1024 == 0 {
		if err := d.ctx.Err(); err != nil {
			return err
		}
	}
	if d.steps > 50*d.opts.Limits.MaxObjects {
		return fmt.Errorf("%w: object graph too large", ErrLimit)
	}
	return nil
}

func (d *disarmer) run() error {
	root := d.x.RootDict
	if err := d.catalog(root); err != nil {
		return err
	}
	if err := d.pageTree(root); err != nil {
		return err
	}
	// The catalog itself is the first container of the generic walk.
	rootNr := int(d.x.Root.ObjectNumber)
	d.state[rootNr] = refKept
	if err := d.container(rootNr, root); err != nil {
		return err
	}
	for len(d.queue) > 0 {
		n := d.queue[len(d.queue)-1]
		d.queue = d.queue[:len(d.queue)-1]
		if err := d.tick(); err != nil {
			return err
		}
		o, err := d.deref(types.IndirectRef{ObjectNumber: types.Integer(n)})
		if err != nil {
			return err
		}
		if err := d.container(n, o); err != nil {
			return err
		}
	}
	if d.dryRun {
		return nil
	}
	return d.finish()
}

// finish drops pdfcpu's caches that would otherwise write back what the
// walk removed, and replaces the trailer's Info with plain strings.
func (d *disarmer) finish() error {
	x := d.x
	// QUIRK: pdfcpu re-binds its name tree cache into the catalog when
	// writing (model/xreftable.go:1506, BindNameTrees from
	// write.go:366); an empty cache keeps the rebuilt /Names as it is.
	x.Names = map[string]*model.Node{}
	x.AdditionalStreams = nil
	x.ID = nil // pdfcpu makes a fresh file identifier (§14.4)
	x.Encrypt, x.E, x.EncKey = nil, nil, nil
	x.URSignature, x.DSS = nil, nil
	x.Form, x.Outlines = nil, nil
	info := types.NewDict()
	if x.Info != nil {
		old := d.derefDict(*x.Info)
		for _, k := range []string{"Title", "Author", "Subject", "Keywords", "Creator"} {
			switch v := old[k].(type) {
			case types.StringLiteral, types.HexLiteral:
				// A title that spells a dangerous name is left out.
				if keep, err := d.value(v, 0); err == nil && keep {
					info[k] = v
				}
			}
		}
	}
	ir, err := x.IndRefForNewObject(info)
	if err != nil {
		return err
	}
	x.Info = ir
	return nil
}

// deref resolves o, decoding objects held lazily in object streams.
func (d *disarmer) deref(o types.Object) (types.Object, error) {
	var r types.Object
	err := guard(func() error {
		var err error
		r, err = d.x.Dereference(o)
		return err
	})
	return r, err
}

func (d *disarmer) derefDict(o types.Object) types.Dict {
	o, err := d.deref(o)
	if err != nil {
		return nil
	}
	switch v := o.(type) {
	case types.Dict:
		return v
	case types.StreamDict:
		return v.Dict
	}
	return nil
}

// catalog rebuilds the document catalog (ISO 32000-1 §7.7.2).
func (d *disarmer) catalog(root types.Dict) error {
	// Even a plain destination goes: the output check refuses the key.
	if v, ok := root["OpenAction"]; ok {
		d.removed.add("openaction", 1)
		d.countActions(v, 0)
		delete(root, "OpenAction")
	}
	if v, ok := root["AA"]; ok {
		d.removed.add("additional-actions", 1)
		d.countAA(v)
		delete(root, "AA")
	}
	if v, ok := root["Names"]; ok {
		names := d.derefDict(v)
		rebuilt := types.NewDict()
		for k, t := range names {
			switch k {
			case "Dests":
				rebuilt[k] = t
			case "JavaScript":
				d.removed.add("javascript", d.countNameTree(t))
			case "EmbeddedFiles":
				d.removed.add("embedded-file", d.countNameTree(t))
			case "AlternatePresentations":
				d.removed.add("alternate-presentation", max(1, d.countNameTree(t)))
			case "Renditions":
				d.removed.add("rendition", d.countNameTree(t))
			}
		}
		if len(rebuilt) > 0 {
			root["Names"] = rebuilt
		} else {
			delete(root, "Names")
		}
	}
	if v, ok := root["AcroForm"]; ok {
		form := d.derefDict(v)
		rebuilt := types.NewDict()
		for k, t := range form {
			switch {
			case acroFormKeys[k]:
				rebuilt[k] = t
			case k == "XFA":
				d.removed.add("xfa", 1)
			case k == "CO":
				d.removed.add("calculation-order", 1)
			}
		}
		if len(rebuilt) > 0 {
			root["AcroForm"] = rebuilt
		} else {
			delete(root, "AcroForm")
		}
	}
	if pm := root.NameEntry("PageMode"); pm != nil && *pm == "UseAttachments" {
		root["PageMode"] = types.Name("UseNone")
	}
	for k := range root {
		if !catalogKeys[k] {
			delete(root, k)
		}
	}
	root["Type"] = types.Name("Catalog")
	return nil
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

func (d *disarmer) derefArray(o types.Object) (types.Array, bool) {
	if o == nil {
		return nil, false
	}
	o, err := d.deref(o)
	if err != nil {
		return nil, false
	}
	a, ok := o.(types.Array)
	return a, ok
}

// pageTree rebuilds page tree nodes and pages from their allow-lists
// (§7.7.3). Page dictionaries are then walked like any other container.
func (d *disarmer) pageTree(root types.Dict) error {
	pages, err := pageLeaves(d.x, d.opts.Limits.MaxPages)
	if err != nil {
		return err
	}
	for _, p := range pages {
		for _, n := range p.nodes {
			n["Type"] = types.Name("Pages")
			for k := range n {
				if !pagesKeys[k] {
					delete(n, k)
				}
			}
		}
		pd := p.dict
		pd["Type"] = types.Name("Page")
		if v, ok := pd["AA"]; ok {
			d.removed.add("additional-actions", 1)
			d.countAA(v)
		}
		for k := range pd {
			if !pageKeys[k] {
				delete(pd, k)
			}
		}
	}
	return nil
}

// container sanitizes one indirect object in place: a dictionary, the
// dictionary of a stream, or an array (replaced in the table by its
// sanitized copy).
func (d *disarmer) container(n int, o types.Object) error {
	switch t := o.(type) {
	case types.Dict:
		return d.dict(t, 0)
	case types.StreamDict:
		return d.dict(t.Dict, 0)
	case types.Array:
		kept, err := d.array(t, 0)
		if err != nil {
			return err
		}
		if e, ok := d.x.Find(n); ok {
			e.Object = kept
		}
	}
	return nil
}

// dict sanitizes one dictionary in place.
func (d *disarmer) dict(t types.Dict, depth int) error {
	for k, v := range t {
		if err := d.tick(); err != nil {
			return err
		}
		switch k {
		case "AA":
			d.removed.add("additional-actions", 1)
			d.countAA(v)
			delete(t, k)
			continue
		case "OpenAction":
			d.removed.add("openaction", 1)
			d.countActions(v, 0)
			delete(t, k)
			continue
		case "PA":
			d.countActions(v, 0)
			delete(t, k)
			continue
		case "JS":
			d.removed.add("javascript", 1)
			delete(t, k)
			continue
		case "JavaScript":
			d.removed.add("javascript", d.countNameTree(v))
			delete(t, k)
			continue
		case "EmbeddedFiles":
			d.removed.add("embedded-file", d.countNameTree(v))
			delete(t, k)
			continue
		case "XFA":
			d.removed.add("xfa", 1)
			delete(t, k)
			continue
		case "AF", "Collection":
			d.removed.add("embedded-file", 1)
			delete(t, k)
			continue
		case "RichMediaContent", "RichMediaSettings":
			d.removed.add("richmedia", 1)
			delete(t, k)
			continue
		case "3DD":
			d.removed.add("3d", 1)
			delete(t, k)
			continue
		case "Metadata", "PieceInfo", "StructParent", "StructParents", "OPI", "Alternates":
			delete(t, k)
			continue
		case "A":
			a := d.derefDict(v)
			if a != nil && a.NameEntry("S") != nil {
				if r := d.rebuildAction(a, true); r != nil {
					t[k] = r
					// The destination may refer to other objects.
					if _, err := d.value(r, depth+1); err != nil {
						return err
					}
				} else {
					d.countActions(v, 0)
					delete(t, k)
				}
				continue
			}
		}
		if d.dangerName(k) {
			d.removed.add(nameCategory(k), 1)
			delete(t, k)
			continue
		}
		switch vv := v.(type) {
		case types.Array:
			kept, err := d.array(vv, depth+1)
			if err != nil {
				return err
			}
			t[k] = kept
		default:
			keep, err := d.value(v, depth+1)
			if err != nil {
				return err
			}
			if !keep {
				delete(t, k)
			}
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// array sanitizes an array and returns it without dropped elements.
func (d *disarmer) array(a types.Array, depth int) (types.Array, error) {
	if depth > 100 {
		return nil, fmt.Errorf("%w: objects nested too deep", ErrLimit)
	}
	kept := make(types.Array, 0, len(a))
	for _, e := range a {
		if err := d.tick(); err != nil {
			return nil, err
		}
		if sub, ok := e.(types.Array); ok {
			s, err := d.array(sub, depth+1)
			if err != nil {
				return nil, err
			}
			kept = append(kept, s)
			continue
		}
		keep, err := d.value(e, depth+1)
		if err != nil {
			return nil, err
		}
		if keep {
			kept = append(kept, e)
		}
	}
	return kept, nil
}

// value sanitizes a dictionary or array value and tells whether to keep it.
func (d *disarmer) value(v types.Object, depth int) (bool, error) {
	switch t := v.(type) {
	case types.IndirectRef:
		return d.ref(t)
	case types.Dict:
		if cat, drop := d.classify(t); drop {
			d.removed.add(cat, boolInt(cat != ""))
			return false, nil
		}
		if err := d.dict(t, depth); err != nil {
			return false, err
		}
		return !d.uselessLink(t), nil
	case types.Array:
		// Nested arrays inside arrays are handled by array().
		return true, nil
	case types.StreamDict:
		return false, errors.New("pdf: direct stream object")
	case types.Name:
		if d.dangerName(string(t)) {
			d.removed.add(nameCategory(string(t)), 1)
			return false, nil
		}
	case types.StringLiteral:
		// Written back as it is, so its bytes are PDF syntax in the output.
		if n, ok := d.spelledName([]byte(t), false); ok {
			return false, fmt.Errorf("pdf: a text string spells /%s", n)
		}
	}
	return true, nil
}

// ref classifies the object a reference points to, once, and queues it.
func (d *disarmer) ref(ir types.IndirectRef) (bool, error) {
	n := int(ir.ObjectNumber)
	switch d.state[n] {
	case refKept:
		return true, nil
	case refDropped:
		return false, nil
	}
	o, err := d.deref(ir)
	if err != nil {
		return false, err
	}
	var dict types.Dict
	switch t := o.(type) {
	case nil:
		// §7.3.10: a reference to a missing object is null; drop it.
		d.state[n] = refDropped
		return false, nil
	case types.Dict:
		dict = t
	case types.StreamDict:
		dict = t.Dict
	case types.ObjectStreamDict, types.XRefStreamDict:
		d.state[n] = refDropped
		return false, nil
	case types.Name, types.StringLiteral:
		keep, err := d.value(t, 0)
		if err != nil {
			return false, err
		}
		if !keep {
			d.state[n] = refDropped
			return false, nil
		}
	}
	if dict != nil {
		if cat, drop := d.classify(dict); drop {
			d.state[n] = refDropped
			d.removed.add(cat, boolInt(cat != ""))
			return false, nil
		}
		if a := dict.NameEntry("S"); a != nil && actionTypes[*a] {
			// An action reached outside /A: keep only a rebuilt safe one.
			r := d.rebuildAction(dict, true)
			if r == nil {
				d.state[n] = refDropped
				d.countActions(ir, 0)
				return false, nil
			}
			clear(dict)
			for k, v := range r {
				dict[k] = v
			}
		}
		if d.uselessLinkAfterSanitize(dict) {
			d.state[n] = refDropped
			return false, nil
		}
	}
	if sd, ok := o.(types.StreamDict); ok && !d.dryRun {
		if err := d.reencode(n, sd); err != nil {
			return false, err
		}
	}
	d.state[n] = refKept
	d.queue = append(d.queue, n)
	return true, nil
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

func nameOf(t types.Dict, key string) string {
	if n, ok := t[key].(types.Name); ok {
		return string(n)
	}
	return ""
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

// reencode decodes a stream and encodes it again with FlateDecode, so
// that no encoded bytes of the input are copied; image codecs are kept.
// External stream data (§7.3.8.2, /F) is removed.
func (d *disarmer) reencode(objNr int, sd types.StreamDict) error {
	for _, k := range []string{"F", "FFilter", "FDecodeParms"} {
		if _, ok := sd.Dict[k]; ok {
			d.removed.add("external-stream", boolInt(k == "F"))
			delete(sd.Dict, k)
		}
	}
	delete(sd.Dict, "DL")
	for i, f := range sd.FilterPipeline {
		if imageFilters[f.Name] {
			if n, ok := d.spelledName(sd.Raw, true); ok {
				return fmt.Errorf("pdf: object %d: image data spells /%s", objNr, n)
			}
			if i != len(sd.FilterPipeline)-1 {
				return fmt.Errorf("pdf: object %d: image filter %s is not last", objNr, f.Name)
			}
			// Keep image codecs as they are (re-encoding a JPEG is the
			// flatten action's job); other filters before them are rare.
			if len(sd.FilterPipeline) != 1 {
				return fmt.Errorf("pdf: object %d: filter chain ending in %s", objNr, f.Name)
			}
			return nil
		}
		if !decodableFilters[f.Name] {
			return fmt.Errorf("pdf: object %d: unsupported filter %q", objNr, f.Name)
		}
	}
	if sd.FilterPipeline == nil {
		sd.Content = sd.Raw
	} else if sd.Content == nil {
		if err := guard(func() error { return sd.DecodeWithLimit(d.opts.Limits.MaxStreamBytes) }); err != nil {
			return fmt.Errorf("pdf: object %d: decode stream: %w", objNr, err)
		}
	}
	if int64(len(sd.Content)) > d.opts.Limits.MaxStreamBytes {
		return fmt.Errorf("%w: object %d stream", ErrLimit, objNr)
	}
	// Content streams cannot be rewritten name by name: refuse the file.
	if n, ok := d.spelledName(sd.Content, binaryStream(sd.Dict)); ok {
		return fmt.Errorf("pdf: object %d: stream spells /%s", objNr, n)
	}
	raw, err := d.deflate(sd.Content)
	if err != nil {
		return fmt.Errorf("pdf: object %d: encode stream: %w", objNr, err)
	}
	sd.FilterPipeline = []types.PDFFilter{{Name: "FlateDecode"}}
	sd.Dict["Filter"] = types.Name("FlateDecode")
	delete(sd.Dict, "DecodeParms")
	sd.Raw, sd.Content = raw, nil
	l := int64(len(raw))
	sd.StreamLength = &l
	sd.Dict["Length"] = types.Integer(l)
	e, ok := d.x.Find(objNr)
	if !ok {
		return fmt.Errorf("pdf: object %d vanished", objNr)
	}
	e.Object = sd
	return nil
}

// deflate compresses b with one zlib writer reused for the whole
// document (§7.4.4; a new compress/flate writer allocates about 1 MiB).
func (d *disarmer) deflate(b []byte) ([]byte, error) {
	var out bytes.Buffer
	if d.zw == nil {
		d.zw = zlib.NewWriter(&out)
	} else {
		d.zw.Reset(&out)
	}
	if _, err := d.zw.Write(b); err != nil {
		return nil, err
	}
	if err := d.zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// page is one leaf of the page tree with the nodes above it.
type page struct {
	dict  types.Dict
	nodes []types.Dict // ancestors, root first
}

// size returns the page's visible size with inherited attributes (§7.7.3.4).
func (p page) size(x *model.XRefTable) PageSize {
	var media, crop types.Array
	rotate := 0
	chain := append(append([]types.Dict(nil), p.nodes...), p.dict)
	for _, n := range chain {
		if a := numArray(x, n["MediaBox"]); len(a) == 4 {
			media = a
		}
		if a := numArray(x, n["CropBox"]); len(a) == 4 {
			crop = a
		}
		if r, ok := n["Rotate"].(types.Integer); ok {
			rotate = int(r)
		}
	}
	box := media
	if crop != nil {
		box = crop
	}
	if box == nil {
		return PageSize{Width: 612, Height: 792} // US Letter, the usual default
	}
	r := types.RectForArray(box)
	if r == nil {
		return PageSize{}
	}
	w, h := math.Abs(r.Width()), math.Abs(r.Height())
	if ((rotate%360)+360)%180 == 90 {
		w, h = h, w
	}
	return PageSize{Width: w, Height: h}
}

func numArray(x *model.XRefTable, o types.Object) types.Array {
	if o == nil {
		return nil
	}
	o, err := x.Dereference(o)
	if err != nil {
		return nil
	}
	a, ok := o.(types.Array)
	if !ok {
		return nil
	}
	out := make(types.Array, 0, len(a))
	for _, e := range a {
		e, err := x.Dereference(e)
		if err != nil {
			return nil
		}
		switch e.(type) {
		case types.Integer, types.Float:
			out = append(out, e)
		default:
			return nil
		}
	}
	return out
}

// pageLeaves walks the page tree from the catalog's /Pages (§7.7.3.2)
// without trusting /Count, with a bound on pages and depth, and without
// visiting a node twice.
func pageLeaves(x *model.XRefTable, maxPages int) ([]page, error) {
	var pages []page
	err := guard(func() error {
		root := x.RootDict
		if root == nil {
			return errors.New("pdf: no document catalog")
		}
		ir, ok := root["Pages"].(types.IndirectRef)
		if !ok {
			return errors.New("pdf: catalog /Pages is not an indirect reference")
		}
		seen := map[int]bool{}
		var walk func(ir types.IndirectRef, anc []types.Dict) error
		walk = func(ir types.IndirectRef, anc []types.Dict) error {
			if len(anc) > 64 {
				return fmt.Errorf("%w: page tree too deep", ErrLimit)
			}
			n := int(ir.ObjectNumber)
			if seen[n] {
				return fmt.Errorf("pdf: page tree loops at object %d", n)
			}
			seen[n] = true
			o, err := x.Dereference(ir)
			if err != nil {
				return err
			}
			nd, ok := o.(types.Dict)
			if !ok {
				return fmt.Errorf("pdf: page tree object %d is not a dictionary", n)
			}
			kids, isNode := nd["Kids"]
			if t := nameOf(nd, "Type"); t == "Page" || (t == "" && !isNode) {
				if anc == nil {
					return errors.New("pdf: catalog /Pages is a page, not a page tree node")
				}
				if len(pages) >= maxPages {
					return fmt.Errorf("%w: more than %d pages", ErrLimit, maxPages)
				}
				pages = append(pages, page{dict: nd, nodes: anc})
				return nil
			}
			ka, err := x.Dereference(kids)
			if err != nil {
				return err
			}
			arr, ok := ka.(types.Array)
			if !ok {
				return fmt.Errorf("pdf: page tree node %d has no /Kids array", n)
			}
			next := append(append([]types.Dict(nil), anc...), nd)
			for _, k := range arr {
				kr, ok := k.(types.IndirectRef)
				if !ok {
					return fmt.Errorf("pdf: page tree node %d has a direct kid", n)
				}
				if err := walk(kr, next); err != nil {
					return err
				}
			}
			return nil
		}
		return walk(ir, nil)
	})
	return pages, err
}
