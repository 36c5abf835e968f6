package main

import "testing"

// TestProcsFor: twice Go's default, and an operator's GOMAXPROCS left
// as it is.
func TestProcsFor(t *testing.T) {
	for _, tc := range []struct {
		env           string
		current, want int
	}{
		{"", 2, 4},
		{"", 1, 2},
		{"3", 3, 0},
		{"1", 1, 0},
	} {
		if got := procsFor(tc.env, tc.current); got != tc.want {
			t.Errorf("procsFor(%q, %d) = %d, want %d", tc.env, tc.current, got, tc.want)
		}
	}
}
