package detect

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestEICARTestFile follows eicar.org's definition: the string at the
// start, then white space only, 128 bytes at most.
func TestEICARTestFile(t *testing.T) {
	e := string(eicarString)
	tests := []struct {
		name string
		data string
		want Kind
	}{
		{"plain", e, EICAR},
		{"crlf spaces ctrl-z", e + " \t\r\n\x1a", EICAR},
		{"128 bytes", e + strings.Repeat(" ", 128-len(e)), EICAR},
		{"129 bytes", e + strings.Repeat(" ", 129-len(e)), Text},
		{"text after", e + "\r\nhello", Text},
		{"text before", "hello " + e, Text},
		{"utf-8 bom", "\xef\xbb\xbf" + e, EICAR},
		{"utf-16le", utf16le(e), EICAR},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Detect(strings.NewReader(tt.data), int64(len(tt.data)), "eicar.txt", "")
			if got.Kind != tt.want {
				t.Fatalf("Detect = %s, want %s", got.Kind, tt.want)
			}
			if tt.want == EICAR && !hasFinding(got.Findings, FindingEICAR) {
				t.Errorf("findings %v lack %s", got.Findings, FindingEICAR)
			}
		})
	}
}

func utf16le(s string) string {
	b := []byte{0xFF, 0xFE}
	for i := 0; i < len(s); i++ {
		b = append(b, s[i], 0)
	}
	return string(b)
}

// TestHoldsEICARAcrossReads finds the string split between two reads.
func TestHoldsEICARAcrossReads(t *testing.T) {
	data := append(bytes.Repeat([]byte("a"), 32<<10-30), eicarString...)
	data = append(data, bytes.Repeat([]byte("b"), 100)...)
	for name, r := range map[string]io.Reader{
		"whole":            bytes.NewReader(data),
		"one byte at once": iotest.OneByteReader(bytes.NewReader(data)),
	} {
		if found, err := HoldsEICAR(r); err != nil || !found {
			t.Errorf("%s: HoldsEICAR = %v, %v", name, found, err)
		}
	}
	if found, _ := HoldsEICAR(bytes.NewReader(data[:len(data)-100-1])); found {
		t.Error("HoldsEICAR found a truncated string")
	}
}
