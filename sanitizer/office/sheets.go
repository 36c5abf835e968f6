package office

import (
	"io"
	"strconv"
)

// renumberSheet shifts a sheet position attribute of t past the removed
// sheets. It reports false when the attribute names a removed sheet; with
// clamp, such a position moves to the previous remaining sheet instead.
func renumberSheet(t *tok, attr string, gone []int, clamp bool) bool {
	if len(gone) == 0 {
		return true
	}
	for i, a := range t.attrs {
		if t.attrNS[i] != "" || a.Name.Local != attr {
			continue
		}
		n, err := strconv.Atoi(a.Value)
		if err != nil || n < 0 {
			return true
		}
		shift := 0
		for _, g := range gone {
			if g == n && !clamp {
				return false
			}
			if g <= n {
				shift++
			}
		}
		t.attrs[i].Value = strconv.Itoa(max(n-shift, 0))
	}
	return true
}

// goneSheets reads a workbook part's <sheets> and returns the positions
// of the sheets whose relationship is not kept.
func goneSheets(src io.Reader, lim Limits, kept map[string]bool) ([]int, error) {
	rd := newXReader(src, lim, false)
	var gone []int
	pos := 0
	for {
		t, err := rd.next()
		if err == io.EOF {
			return gone, nil
		}
		if err != nil {
			return nil, err
		}
		if t.kind != tStart || !t.is(nsX, "sheet") {
			continue
		}
		for i := range t.attrs {
			if t.attrNS[i] == nsR && t.attrs[i].Name.Local == "id" && !kept[t.attrs[i].Value] {
				gone = append(gone, pos)
			}
		}
		pos++
	}
}
