// Package clamd is a client for ClamAV's scanning daemon, clamd. It
// implements sanitizer.Scanner, so that mugai can have every item, top-level
// and nested, checked against known malware before it is rebuilt.
//
// It speaks clamd's own small protocol, as described in clamd(8) of
// ClamAV 1.x, over a unix socket or TCP: one connection per command, the
// "z" (NUL-terminated) form of each command and reply.
//
//	zINSTREAM\0  then chunks of <4-byte big-endian length><data>, ended by a
//	             zero-length chunk; reply "stream: OK", "stream: <name> FOUND"
//	             or "<text> ERROR" (e.g. "INSTREAM size limit exceeded. ERROR")
//	zPING\0      reply "PONG"
//	zVERSION\0   reply "ClamAV 1.4.6/<db version>/<db date>"
//
// The protocol is small enough that mugai speaks it itself: no
// third-party Go client is needed.
//
// Where it diverges from what clamd allows: it does not use IDSESSION
// (each call dials anew, which makes a Client safe for concurrent use and
// free of connection state), nor SCAN/CONTSCAN/FILDES (mugai's inputs are
// streams, and clamd may run on another host or as another user).
//
// Fail closed: anything other than a well-formed "stream: OK" — an ERROR
// reply, an unknown or truncated reply, a refused or broken connection, a
// deadline, a stream over MaxStreamBytes — is an error, never "clean".
// (clamdscan --stream, by contrast, sends only the first StreamMaxLength
// bytes of a longer file and reports the verdict on that part.)
package clamd

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
	"unicode"

	"github.com/mugai-project/mugai/sanitizer"
)

// Defaults for Options.
const (
	// DefaultSocket is Debian's clamd LocalSocket (clamav-daemon).
	DefaultSocket = "/run/clamav/clamd.ctl"
	// DefaultTCPAddress is clamd's usual TCPSocket on the loopback.
	DefaultTCPAddress = "127.0.0.1:3310"
	// DefaultTimeout bounds one command, a little over clamd's own
	// MaxScanTime default of 120 s.
	DefaultTimeout = 150 * time.Second
	// DefaultMaxStreamBytes is clamd's StreamMaxLength default (100M).
	DefaultMaxStreamBytes = 100 << 20
)

// chunkSize is the INSTREAM chunk length: 8 KiB with its length prefix,
// as clamdscan sends (BUFSIZ). clamd accepts chunks up to StreamMaxLength,
// but 64 KiB and 1 MiB chunks were no faster here, and often slower.
const chunkSize = 8<<10 - 4

// maxReply bounds a reply. clamd's replies to the commands used here are a
// signature name or a short message.
const maxReply = 4096

// Options configure a Client. The zero value talks to Debian's clamd on
// its unix socket.
type Options struct {
	// Network is "unix" (default) or "tcp".
	Network string
	// Address is the socket path for "unix" (default DefaultSocket) or
	// host:port for "tcp" (default DefaultTCPAddress).
	Address string
	// Timeout bounds each command, connection included, on top of the
	// context's deadline. Default DefaultTimeout.
	Timeout time.Duration
	// MaxStreamBytes is the most Scan sends. A longer input is an error
	// (ErrTooLarge) without waiting for clamd to refuse it. Set it to
	// clamd's StreamMaxLength. Default DefaultMaxStreamBytes.
	MaxStreamBytes int64
}

func (o Options) withDefaults() Options {
	if o.Network == "" {
		o.Network = "unix"
	}
	if o.Address == "" {
		if o.Network == "unix" {
			o.Address = DefaultSocket
		} else {
			o.Address = DefaultTCPAddress
		}
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxStreamBytes <= 0 {
		o.MaxStreamBytes = DefaultMaxStreamBytes
	}
	return o
}

// ErrTooLarge reports a stream over the client's MaxStreamBytes or over
// clamd's StreamMaxLength ("INSTREAM size limit exceeded").
var ErrTooLarge = errors.New("clamd: stream over the size limit")

// ReplyError is a reply from clamd that is not the expected answer: an
// ERROR reply, or one the client does not understand.
type ReplyError struct {
	Command string // "INSTREAM", "PING", "VERSION"
	Reply   string // as received, without the NUL
}

func (e *ReplyError) Error() string {
	return fmt.Sprintf("clamd: %s: %q", e.Command, e.Reply)
}

// Is matches ErrTooLarge for clamd's own size-limit reply.
func (e *ReplyError) Is(target error) bool {
	return target == ErrTooLarge && strings.Contains(e.Reply, "size limit exceeded")
}

// Client talks to one clamd. It holds no connection between calls and is
// safe for concurrent use; clamd's MaxThreads and MaxConnectionQueueLength
// bound how many scans run at once.
type Client struct {
	opts Options
}

var _ sanitizer.Scanner = (*Client)(nil)

// New returns a Client for the clamd at opts. It does not connect; call
// Ping to check that clamd answers.
func New(opts Options) (*Client, error) {
	opts = opts.withDefaults()
	switch opts.Network {
	case "unix", "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("clamd: network %q is not unix or tcp", opts.Network)
	}
	return &Client{opts: opts}, nil
}

// Options returns the client's options with defaults filled in.
func (c *Client) Options() Options { return c.opts }

// ParseAddress reads a clamd address as an operator writes it:
// "unix:/run/clamav/clamd.ctl" or an absolute path for a unix socket,
// "tcp:host:port" or "host:port" for TCP.
func ParseAddress(s string) (network, address string, err error) {
	switch {
	case strings.HasPrefix(s, "unix:"):
		network, address = "unix", strings.TrimPrefix(s, "unix:")
	case strings.HasPrefix(s, "tcp:"):
		network, address = "tcp", strings.TrimPrefix(s, "tcp:")
	case strings.HasPrefix(s, "/"):
		network, address = "unix", s
	default:
		network, address = "tcp", s
	}
	if address == "" {
		return "", "", fmt.Errorf("clamd: empty address in %q", s)
	}
	if network == "unix" && !strings.HasPrefix(address, "/") {
		return "", "", fmt.Errorf("clamd: socket path %q is not absolute", address)
	}
	if network == "tcp" {
		if _, port, err := net.SplitHostPort(address); err != nil || port == "" {
			return "", "", fmt.Errorf("clamd: %q is not host:port", address)
		}
	}
	return network, address, nil
}

// Scan streams r to clamd with INSTREAM and returns the name of the
// signature it matched, or "" when clamd answers "stream: OK". Any other
// outcome is an error (see the package doc).
func (c *Client) Scan(ctx context.Context, r io.Reader) (signature string, err error) {
	conn, done, err := c.dial(ctx)
	if err != nil {
		return "", err
	}
	defer func() { err = done(err) }()

	if _, err := io.WriteString(conn, "zINSTREAM\x00"); err != nil {
		return "", c.writeFailed(conn, err)
	}
	buf := make([]byte, 4+chunkSize)
	var sent int64
	for {
		n, rerr := io.ReadFull(r, buf[4:])
		if n > 0 {
			sent += int64(n)
			if sent > c.opts.MaxStreamBytes {
				return "", fmt.Errorf("%w: over %d bytes", ErrTooLarge, c.opts.MaxStreamBytes)
			}
			binary.BigEndian.PutUint32(buf, uint32(n))
			if _, err := conn.Write(buf[:4+n]); err != nil {
				return "", c.writeFailed(conn, err)
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			// The stream ends without its zero-length chunk: clamd
			// drops it when the connection closes.
			return "", fmt.Errorf("clamd: reading the input: %w", rerr)
		}
	}
	binary.BigEndian.PutUint32(buf, 0)
	if _, err := conn.Write(buf[:4]); err != nil {
		return "", c.writeFailed(conn, err)
	}
	reply, err := readReply(bufio.NewReaderSize(conn, 256))
	if err != nil {
		return "", fmt.Errorf("clamd: INSTREAM reply: %w", err)
	}
	return parseScanReply(reply)
}

// writeFailed turns a failed write into the most useful error. clamd
// answers a stream over its StreamMaxLength with an ERROR reply and closes
// the connection while the client is still sending; that reply, if it
// can be read, says more than "broken pipe".
func (c *Client) writeFailed(conn net.Conn, werr error) error {
	if reply, err := readReply(bufio.NewReaderSize(conn, 256)); err == nil {
		if _, perr := parseScanReply(reply); perr != nil {
			return perr
		}
	}
	return fmt.Errorf("clamd: sending: %w", werr)
}

// Ping checks that clamd answers (PING → PONG).
func (c *Client) Ping(ctx context.Context) error {
	reply, err := c.command(ctx, "PING")
	if err != nil {
		return err
	}
	if reply != "PONG" {
		return &ReplyError{Command: "PING", Reply: reply}
	}
	return nil
}

// Version returns clamd's version line, such as
// "ClamAV 1.4.6/27830/Tue Nov 25 08:36:02 2026" (engine, signature
// database version and date; the engine alone if no official database is
// loaded).
func (c *Client) Version(ctx context.Context) (string, error) {
	reply, err := c.command(ctx, "VERSION")
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(reply, "ClamAV ") || strings.HasSuffix(reply, " ERROR") {
		return "", &ReplyError{Command: "VERSION", Reply: reply}
	}
	return reply, nil
}

// command sends a one-word command and reads its one reply.
func (c *Client) command(ctx context.Context, cmd string) (reply string, err error) {
	conn, done, err := c.dial(ctx)
	if err != nil {
		return "", err
	}
	defer func() { err = done(err) }()
	if _, err := io.WriteString(conn, "z"+cmd+"\x00"); err != nil {
		return "", fmt.Errorf("clamd: %s: %w", cmd, err)
	}
	reply, err = readReply(bufio.NewReaderSize(conn, 256))
	if err != nil {
		return "", fmt.Errorf("clamd: %s reply: %w", cmd, err)
	}
	return reply, nil
}

// dial connects and arms the deadline: the earlier of the context's and
// now+Timeout, and at once if the context is cancelled. done closes the
// connection and, if the context ended, says so in the error.
func (c *Client) dial(ctx context.Context) (net.Conn, func(error) error, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("clamd: %w", err)
	}
	deadline := time.Now().Add(c.opts.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	d := net.Dialer{Deadline: deadline}
	conn, err := d.DialContext(ctx, c.opts.Network, c.opts.Address)
	if err != nil {
		return nil, nil, fmt.Errorf("clamd: connecting to %s %s: %w", c.opts.Network, c.opts.Address, err)
	}
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("clamd: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	done := func(err error) error {
		stop()
		conn.Close()
		if err == nil {
			return nil
		}
		cerr := ctx.Err()
		if d, ok := ctx.Deadline(); ok && cerr == nil && !time.Now().Before(d) {
			// The connection's deadline, set to the context's, can
			// fire before the context's own timer marks it done.
			cerr = context.DeadlineExceeded
		}
		if cerr != nil && !errors.Is(err, cerr) {
			return fmt.Errorf("%w (%w)", err, cerr)
		}
		return err
	}
	return conn, done, nil
}

// readReply reads one NUL-terminated reply of at most maxReply bytes.
// A reply cut short by the end of the connection is an error: without its
// terminator it may not be the whole answer.
func readReply(r io.ByteReader) (string, error) {
	var b strings.Builder
	for {
		c, err := r.ReadByte()
		if err == io.EOF {
			if b.Len() == 0 {
				return "", errors.New("connection closed without a reply")
			}
			return "", fmt.Errorf("reply %q cut short", b.String())
		}
		if err != nil {
			return "", err
		}
		if c == 0 {
			return b.String(), nil
		}
		if b.Len() >= maxReply {
			return "", fmt.Errorf("reply over %d bytes", maxReply)
		}
		b.WriteByte(c)
	}
}

// maxSignature bounds a signature name; ClamAV's are far shorter.
const maxSignature = 256

// parseScanReply reads an INSTREAM reply (clamd(8), INSTREAM; the format
// is clamd's "<path>: <result>" with the path "stream").
func parseScanReply(reply string) (string, error) {
	if strings.HasSuffix(reply, " ERROR") {
		return "", &ReplyError{Command: "INSTREAM", Reply: reply}
	}
	result, ok := strings.CutPrefix(reply, "stream: ")
	if !ok {
		return "", &ReplyError{Command: "INSTREAM", Reply: reply}
	}
	if result == "OK" {
		return "", nil
	}
	sig, ok := strings.CutSuffix(result, " FOUND")
	if !ok || !validSignature(sig) {
		return "", &ReplyError{Command: "INSTREAM", Reply: reply}
	}
	return sig, nil
}

// validSignature accepts the names clamd reports: printable, no spaces
// (ClamAV names are dotted words, possibly with the hash and size in
// parentheses under ExtendedDetectionInfo), bounded.
func validSignature(s string) bool {
	if s == "" || len(s) > maxSignature {
		return false
	}
	for _, r := range s {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) || r == ' ' {
			return false
		}
	}
	return true
}
