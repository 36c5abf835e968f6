package mail

import (
	"encoding/base64"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestBase64Lenient(t *testing.T) {
	enc := base64.StdEncoding.EncodeToString
	long := strings.Repeat("無害化テスト", 500)
	tests := []struct {
		name, in, want string
		trailing       int
	}{
		{"lines", enc([]byte("ご担当者様"))[:8] + "\r\n" + enc([]byte("ご担当者様"))[8:] + "\r\n", "ご担当者様", 0},
		{"garbage and blanks skipped", "5p2x *5Lqs\t!\r\n", "東京", 0},
		{"no padding", strings.TrimRight(enc([]byte("ab")), "="), "ab", 0},
		{"runs padded one after the other", enc([]byte("前半。")) + "\r\n" + enc([]byte("a")) + "\r\n\r\n" + enc([]byte("後半まで届く。")) + "\r\n", "前半。a後半まで届く。", 0},
		{"a text footer after the padded data", enc([]byte("本文a")) + "\r\n\r\n-- \r\nSent from the gateway, do not reply.\r\n", "本文a", 1},
		{"long line", enc([]byte(long)), long, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, wrap := range []func(io.Reader) io.Reader{func(r io.Reader) io.Reader { return r }, iotest.OneByteReader} {
				n := 0
				got, err := io.ReadAll(newB64Reader(wrap(strings.NewReader(tt.in)), &n))
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != tt.want || n != tt.trailing {
					t.Fatalf("got %q with %d trailing lines, want %q with %d", shorten(string(got)), n, shorten(tt.want), tt.trailing)
				}
			}
		})
	}
}
