package pdf

import (
	"errors"
	"fmt"
	"math"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

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
	unit := userUnit(x, p.dict["UserUnit"])
	if box == nil {
		return PageSize{Width: 612, Height: 792, Unit: unit} // US Letter, the usual default
	}
	r := types.RectForArray(box)
	if r == nil {
		return PageSize{Unit: unit}
	}
	w, h := math.Abs(r.Width()), math.Abs(r.Height())
	if ((rotate%360)+360)%180 == 90 {
		w, h = h, w
	}
	return PageSize{Width: w, Height: h, Unit: unit}
}

// userUnit is the value of a page's /UserUnit (not inherited, §7.7.3.3),
// or 1 when o is not a finite positive number.
func userUnit(x *model.XRefTable, o types.Object) float64 {
	if o == nil {
		return 1
	}
	o, err := x.Dereference(o)
	if err != nil {
		return 1
	}
	var u float64
	switch v := o.(type) {
	case types.Integer:
		u = float64(v)
	case types.Float:
		u = float64(v)
	}
	if !(u > 0) || math.IsInf(u, 0) {
		return 1
	}
	return u
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
