package verify

import "testing"

// FuzzFlatContent: the flattened-page content check never panics and
// accepts only streams that begin with the image draw.
func FuzzFlatContent(f *testing.F) {
	f.Add([]byte("q 595 0 0 842 0 0 cm /Im0 Do Q\nBT\n3 Tr\n/F0 12 Tf 1 0 0 1 50 700 Tm 50 Tz [<0001> -20 <0002>] TJ\nET\n"))
	f.Add([]byte("q 595 0 0 842 0 0 cm /Im0 Do Q\n"))
	f.Add([]byte("q 1 0 0 1 0 0 cm /Im0 Do Q BT 3 Tr (x) Tj ET"))
	images, fonts := map[string]bool{"Im0": true}, map[string]bool{"F0": true, "F1": true}
	f.Fuzz(func(t *testing.T, b []byte) {
		if flatContent(b, images, fonts) != nil {
			return
		}
		toks, err := flatTokens(b)
		if err != nil || len(toks) < 11 || toks[0].text != "q" {
			t.Fatalf("accepted %q", b)
		}
	})
}
