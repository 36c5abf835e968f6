package clamd_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/clamd"
)

// These tests speak the wire with a peer that misbehaves in ways a real
// clamd does not (or not on demand): the client must fail closed.

// peer accepts one connection on a loopback listener, records what the
// client sends up to the end of the stream, and answers with reply.
func peer(t *testing.T, reply string) (*clamd.Client, <-chan []byte) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	got := make(chan []byte, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer conn.Close()
		var rec bytes.Buffer
		r := io.TeeReader(conn, &rec)
		cmd := make([]byte, len("zINSTREAM\x00"))
		if _, err := io.ReadFull(r, cmd); err == nil && string(cmd) == "zINSTREAM\x00" {
			for {
				var n uint32
				if binary.Read(r, binary.BigEndian, &n) != nil || n == 0 {
					break
				}
				if _, err := io.CopyN(io.Discard, r, int64(n)); err != nil {
					break
				}
			}
		}
		io.WriteString(conn, reply)
		got <- rec.Bytes()
	}()
	c, err := clamd.New(clamd.Options{Network: "tcp", Address: l.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	return c, got
}

// TestWireTranscript: the bytes on the wire are clamd(8)'s INSTREAM
// framing: the command with its NUL, length-prefixed chunks, a zero-length
// chunk.
func TestWireTranscript(t *testing.T) {
	c, got := peer(t, "stream: OK\x00")
	in := strings.Repeat("x", 10000) // two chunks
	if sig, err := c.Scan(context.Background(), strings.NewReader(in)); err != nil || sig != "" {
		t.Fatalf("Scan = %q, %v", sig, err)
	}
	rec := <-got
	var want bytes.Buffer
	want.WriteString("zINSTREAM\x00")
	binary.Write(&want, binary.BigEndian, uint32(8188))
	want.WriteString(in[:8188])
	binary.Write(&want, binary.BigEndian, uint32(len(in)-8188))
	want.WriteString(in[8188:])
	binary.Write(&want, binary.BigEndian, uint32(0))
	if !bytes.Equal(rec, want.Bytes()) {
		t.Fatalf("wire bytes differ: got %d bytes, want %d; head %q", len(rec), want.Len(), rec[:min(len(rec), 24)])
	}
}

// TestWireBadReplies: a reply that is not a well-formed verdict is an
// error, never "clean".
func TestWireBadReplies(t *testing.T) {
	for _, tt := range []struct{ name, reply string }{
		{"no reply", ""},
		{"no terminator", "stream: OK"},
		{"newline form", "stream: OK\n"},
		{"garbage", "HTTP/1.1 400 Bad Request\r\n\r\n"},
		{"unknown command", "UNKNOWN COMMAND\x00"},
		{"overlong", "stream: " + strings.Repeat("A", 10000) + " FOUND\x00"},
		{"error", "stream: Can't create temporary file ERROR\x00"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := peer(t, tt.reply)
			if sig, err := c.Scan(context.Background(), strings.NewReader("hello")); err == nil {
				t.Fatalf("Scan = %q, nil; want an error", sig)
			}
		})
	}
}
