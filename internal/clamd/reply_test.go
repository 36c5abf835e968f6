package clamd

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestParseScanReply: only a well-formed "stream: OK" is clean; every
// reply the client does not understand is an error (fail closed).
func TestParseScanReply(t *testing.T) {
	tests := []struct {
		name, reply, sig string
		bad, tooLarge    bool
	}{
		{name: "clean", reply: "stream: OK"},
		{name: "found", reply: "stream: Eicar-Test-Signature FOUND", sig: "Eicar-Test-Signature"},
		{name: "found unofficial", reply: "stream: Mugai.Test.EICAR.UNOFFICIAL FOUND", sig: "Mugai.Test.EICAR.UNOFFICIAL"},
		{name: "extended detection info", reply: "stream: Eicar-Test-Signature(44d88612fea8a8f36de82e1278abb02f:68) FOUND", sig: "Eicar-Test-Signature(44d88612fea8a8f36de82e1278abb02f:68)"},
		{name: "heuristic", reply: "stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND", sig: "Heuristics.Limits.Exceeded.MaxFileSize"},
		{name: "size limit", reply: "INSTREAM size limit exceeded. ERROR", bad: true, tooLarge: true},
		{name: "stream error", reply: "stream: Can't allocate memory ERROR", bad: true},
		{name: "error that looks found", reply: "stream: X FOUND ERROR", bad: true},
		{name: "empty", reply: "", bad: true},
		{name: "no prefix", reply: "OK", bad: true},
		{name: "other path", reply: "/etc/passwd: OK", bad: true},
		{name: "lower case ok", reply: "stream: ok", bad: true},
		{name: "ok with trailer", reply: "stream: OK extra", bad: true},
		{name: "found without a name", reply: "stream:  FOUND", bad: true},
		{name: "name with spaces", reply: "stream: Some Thing FOUND", bad: true},
		{name: "name with control byte", reply: "stream: Bad\x1bName FOUND", bad: true},
		{name: "name not ASCII", reply: "stream: ウイルス FOUND", bad: true},
		{name: "name too long", reply: "stream: " + strings.Repeat("A", maxSignature+1) + " FOUND", bad: true},
		{name: "unknown command", reply: "UNKNOWN COMMAND", bad: true},
		{name: "queue full", reply: "COMMAND READ TIMED OUT", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig, err := parseScanReply(tt.reply)
			if tt.bad {
				var re *ReplyError
				if err == nil || !errors.As(err, &re) || sig != "" {
					t.Fatalf("parseScanReply(%q) = %q, %v; want a ReplyError", tt.reply, sig, err)
				}
				if errors.Is(err, ErrTooLarge) != tt.tooLarge {
					t.Errorf("errors.Is(%v, ErrTooLarge) = %v", err, !tt.tooLarge)
				}
				return
			}
			if err != nil || sig != tt.sig {
				t.Fatalf("parseScanReply(%q) = %q, %v; want %q", tt.reply, sig, err, tt.sig)
			}
		})
	}
}

func TestReadReply(t *testing.T) {
	tests := []struct {
		name, in, want string
		bad            bool
	}{
		{name: "terminated", in: "PONG\x00", want: "PONG"},
		{name: "stops at the first NUL", in: "stream: OK\x00stream: Evil FOUND\x00", want: "stream: OK"},
		{name: "empty reply", in: "\x00", want: ""},
		{name: "closed", in: "", bad: true},
		{name: "cut short", in: "stream: O", bad: true},
		{name: "newline is not the terminator", in: "stream: OK\n", bad: true},
		{name: "at the size bound", in: strings.Repeat("a", maxReply) + "\x00", want: strings.Repeat("a", maxReply)},
		{name: "over the size bound", in: strings.Repeat("a", maxReply+1) + "\x00", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readReply(bytes.NewReader([]byte(tt.in)))
			if tt.bad {
				if err == nil {
					t.Fatalf("readReply = %q, nil; want an error", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("readReply = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// FuzzScanReply feeds arbitrary bytes as clamd's answer: no panic, a
// bounded reply, and "clean" only for the exact clean reply.
func FuzzScanReply(f *testing.F) {
	for _, s := range []string{
		"stream: OK\x00", "stream: Eicar-Test-Signature FOUND\x00", "INSTREAM size limit exceeded. ERROR\x00",
		"stream: OK", "PONG\x00", "stream: A(b:1) FOUND\x00", "\x00", "stream: \x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		reply, err := readReply(bytes.NewReader(in))
		if err != nil {
			return
		}
		if len(reply) > maxReply || strings.IndexByte(reply, 0) >= 0 {
			t.Fatalf("reply of %d bytes with NUL %v", len(reply), strings.IndexByte(reply, 0) >= 0)
		}
		sig, err := parseScanReply(reply)
		switch {
		case err != nil:
			if sig != "" {
				t.Fatalf("signature %q with error %v", sig, err)
			}
		case sig == "":
			if reply != "stream: OK" {
				t.Fatalf("reply %q read as clean", reply)
			}
		default:
			if !validSignature(sig) || reply != "stream: "+sig+" FOUND" {
				t.Fatalf("reply %q gave signature %q", reply, sig)
			}
		}
	})
}
