package mail

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestScriptTagSplitAcrossReads hides "<script" across read boundaries
// of the message check: byte by byte, and at the check's 64 KiB buffer.
func TestScriptTagSplitAcrossReads(t *testing.T) {
	pad := strings.Repeat("あ", (64<<10)/3) // ends 2 bytes short of 64 KiB
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"tag", "hello <script src=x>", true},
		{"closing tag with spaces", "a < / SCRIPT>", true},
		{"tag at the end", "x<script", true},
		{"longer name", "<scripts> are fine", false},
		{"plain text", "本文です。", false},
		{"tag across the buffer", pad + "<script>", true},
		{"tag at the end across the buffer", pad + "...<script", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			readers := map[string]io.Reader{
				"whole":       strings.NewReader(tt.in),
				"byte a read": iotest.OneByteReader(strings.NewReader(tt.in)),
				"half":        iotest.HalfReader(strings.NewReader(tt.in)),
			}
			for how, r := range readers {
				if got := containsScript(r); got != tt.want {
					t.Errorf("%s: containsScript = %v, want %v", how, got, tt.want)
				}
			}
		})
	}
}
