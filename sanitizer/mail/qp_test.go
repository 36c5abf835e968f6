package mail

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestQuotedPrintableLenient(t *testing.T) {
	long := strings.Repeat("あ", 3000) // 9000 octets: longer than the reader's buffer
	tests := []struct{ name, in, want string }{
		{"escapes", "caf=C3=A9 =e3=81=82\r\n", "café あ\r\n"},
		{"soft line break", "one =\r\ntwo=\ntree\n", "one twotree\n"},
		{"trailing blanks removed", "end \t \r\nsoft= \t\r\nx = \r\ny", "end\r\nsoftx y"},
		{"raw ESC of ISO-2022-JP", "\x1b$B$3$s\x1b(B ok\r\n", "\x1b$B$3$s\x1b(B ok\r\n"},
		{"= without hex", "a = b =Z =4 =\x1b end", "a = b =Z =4 =\x1b end"},
		{"8-bit and controls", "\xe3\x81\x82\x01\x7f\r\n", "\xe3\x81\x82\x01\x7f\r\n"},
		{"no line end at the end", "last=41", "lastA"},
		{"soft break at the very end", "last=", "last"},
		{"long line with escapes at every offset", strings.Repeat("x=41", 5000) + "\r\n", strings.Repeat("xA", 5000) + "\r\n"},
		{"long line of blanks then text", strings.Repeat(" ", 10000) + "x\r\n", strings.Repeat(" ", 10000) + "x\r\n"},
		{"long raw UTF-8 line", long + "=\r\n" + long + "\r\n", long + long + "\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in)), iotest.HalfReader(strings.NewReader(tt.in))} {
				got, err := io.ReadAll(newQPReader(r))
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

func TestQuotedPrintableReadError(t *testing.T) {
	// A failing source is an error, never a quiet end.
	_, err := io.ReadAll(newQPReader(io.MultiReader(strings.NewReader("text=\r\n"), iotest.ErrReader(io.ErrClosedPipe))))
	if err != io.ErrClosedPipe {
		t.Fatalf("err %v, want the source's error", err)
	}
}

func shorten(s string) string {
	if len(s) > 200 {
		return s[:100] + "…" + s[len(s)-100:]
	}
	return s
}

func FuzzQuotedPrintable(f *testing.F) {
	for _, s := range []string{"caf=C3=A9\r\n", "soft=\r\nbreak", "\x1b$B$3$s\x1b(B=\r\n", "a = b =Z", strings.Repeat("=4", 5000), strings.Repeat(" ", 9000) + "=\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := io.ReadAll(newQPReader(bytes.NewReader(in)))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > len(in) {
			t.Fatalf("%d octets out of %d in", len(got), len(in))
		}
		// Without escapes or blanks to remove, no octet is lost.
		if !bytes.ContainsAny(in, "= \t") && !bytes.Equal(got, in) {
			t.Fatalf("%q became %q", in, got)
		}
	})
}
