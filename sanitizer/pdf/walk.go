package pdf

import (
	"compress/zlib"
	"context"
	"errors"
	"fmt"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

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
		if cat, ok := droppedKeys[k]; ok {
			if cat != "" {
				d.removed.add(cat, 1)
			}
			delete(t, k)
			continue
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
		case "JavaScript":
			d.removed.add("javascript", d.countNameTree(v))
			delete(t, k)
			continue
		case "EmbeddedFiles":
			d.removed.add("embedded-file", d.countNameTree(v))
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

func nameOf(t types.Dict, key string) string {
	if n, ok := t[key].(types.Name); ok {
		return string(n)
	}
	return ""
}
