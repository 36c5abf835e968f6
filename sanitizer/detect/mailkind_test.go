package detect

import (
	"bytes"
	"strings"
	"testing"
)

func TestDetectRealWorldMail(t *testing.T) {
	const hdr = "From: sender@example.co.jp\nTo: soumu@city.example.lg.jp\nSubject: test\nContent-Type: text/plain; charset=UTF-8\n\n"
	sjisName := "\x8eR\x93c \x91\xbe\x98Y" // 山田 太郎 in Shift_JIS
	tests := []struct {
		name string
		file string
		data string
		want Kind
	}{
		{"raw Shift_JIS display name over a UTF-8 body", "", "From: " + sjisName + " <taro@example.co.jp>\r\nTo: a@city.example.lg.jp\r\nSubject: test\r\n\r\nご担当者様、いつもお世話になっております。\r\n", EML},
		{"NUL in the Subject", "", strings.Replace(hdr, "test", "te\x00st", 1) + "body\n", EML},
		{"one NUL at the very end", "", hdr + "body\n\x00", EML},
		{"CR line ends", "", strings.ReplaceAll(hdr+"body\n", "\n", "\r"), EML},
		{"CR line ends after an mbox line", "", "From a@example.jp Tue Nov 24 10:00:00 2026\r" + strings.ReplaceAll(hdr, "\n", "\r"), EML},
		{"LF line ends", "", hdr + "body\n", EML},
		{"CRLF line ends", "", strings.ReplaceAll(hdr, "\n", "\r\n") + "body\r\n", EML},
		{"NUL mail under a script name stays unknown", "run.vbs", hdr + "body\x00", Unknown},
		{"binary with one header-like line is unknown", "", "Subject: x\n\x00\x01\x02\x03", Unknown},
		{"binary is unknown", "", "\x00\x01\x02\x03From: a\nTo: b\n", Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.data)
			if got := Detect(bytes.NewReader(b), int64(len(b)), tt.file, "").Kind; got != tt.want {
				t.Errorf("Detect = %s, want %s", got, tt.want)
			}
		})
	}
}
