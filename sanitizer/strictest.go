package sanitizer

import "github.com/mugai-project/mugai/sanitizer/detect"

// strictness ranks the actions, strictest first: nothing crosses, then
// the original waits, then pictures of it, then rebuilt files, then a
// rebuilt file beside its picture.
var strictness = map[Action]int{Block: 0, Hold: 1, Flatten: 2, Text: 3, Strip: 4, Reencode: 5, Disarm: 6, Both: 7}

// Strictest returns the policy an item for several recipients with the
// policies ps gets: for each kind the strictest of their actions, each
// limit the smallest, links removed if any policy removes them. The
// rendering settings (dpi, JPEG quality, CSV byte order mark) are the
// first policy's. The policies have their defaults filled in; ps is not
// empty.
func Strictest(ps ...*Policy) *Policy {
	out := *ps[0]
	out.Actions = map[detect.Kind]Action{}
	for _, p := range ps {
		for k := range p.Actions {
			out.Actions[k] = ps[0].Decide(k)
		}
	}
	for _, p := range ps[1:] {
		for k, a := range out.Actions {
			if b := p.Decide(k); strictness[b] < strictness[a] {
				out.Actions[k] = b
			}
		}
		l, m := &out.Limits, p.Limits
		l.MaxInputBytes = min(l.MaxInputBytes, m.MaxInputBytes)
		l.Timeout.Duration = min(l.Timeout.Duration, m.Timeout.Duration)
		l.MaxDepth = min(l.MaxDepth, m.MaxDepth)
		l.SpillThreshold = min(l.SpillThreshold, m.SpillThreshold)
		l.MaxOutputBytes = min(l.MaxOutputBytes, m.MaxOutputBytes)
		out.PDF.MaxPages = min(out.PDF.MaxPages, p.PDF.MaxPages)
		out.PDF.MaxPagePixels = min(out.PDF.MaxPagePixels, p.PDF.MaxPagePixels)
		out.Image.MaxPixels = min(out.Image.MaxPixels, p.Image.MaxPixels)
		if p.PDF.Links == "remove" {
			out.PDF.Links = "remove"
		}
		if linkStrictness[p.Text.Links] < linkStrictness[out.Text.Links] {
			out.Text.Links = p.Text.Links
		}
	}
	return &out
}

// linkStrictness ranks text.links, strictest first.
var linkStrictness = map[string]int{"remove": 0, "defang": 1, "keep": 2}
