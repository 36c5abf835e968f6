package textsim

import "testing"

func TestInOrder(t *testing.T) {
	for _, tc := range []struct {
		name, want, got string
		sim             float64
	}{
		{"Same", "住民票の写し", "住民票の写し", 1},
		{"WhiteSpaceIgnored", "a b\nc", "abc", 1},
		{"HalfMissing", "abcd", "ab", 0.5},
		{"OutOfOrder", "abcd", "dcba", 0.25},
		{"Nothing", "abcd", "", 0},
		{"EmptyWant", "", "x", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := InOrder(tc.want, tc.got); got != tc.sim {
				t.Errorf("InOrder(%q, %q) = %v, want %v", tc.want, tc.got, got, tc.sim)
			}
		})
	}
}
