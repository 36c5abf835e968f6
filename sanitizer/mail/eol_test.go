package mail

import (
	"bufio"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestCRLines(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"CR only", "a: 1\rb: 2\r\rbody\r", "a: 1\r\nb: 2\r\n\r\nbody\r\n"},
		{"CR only, no final line end", "a: 1\r\rbody", "a: 1\r\n\r\nbody"},
		{"CRLF unchanged", "a: 1\r\n\r\nbo\rdy\r\n", "a: 1\r\n\r\nbo\rdy\r\n"},
		{"LF unchanged", "a: 1\n\nbo\rdy\n", "a: 1\n\nbo\rdy\n"},
		{"CR only with a stray LF", "a: 1\r\rone\r\ntwo\r", "a: 1\r\n\r\none\r\ntwo\r\n"},
		{"long", strings.Repeat("line\r", 5000), strings.Repeat("line\r\n", 5000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, src := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
				br, _ := crLines(bufio.NewReaderSize(src, 8<<10))
				got, err := io.ReadAll(br)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != tt.want {
					t.Fatalf("got %q\nwant %q", shorten(string(got)), shorten(tt.want))
				}
			}
		})
	}
}
