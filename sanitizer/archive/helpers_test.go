package archive

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"crypto/aes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"path"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/archive/zipsafe"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// rawEntry is one zip entry written byte by byte, so that tests can make
// the archives that archive/zip refuses to write.
type rawEntry struct {
	name    []byte
	flags   uint16
	method  uint16
	stored  []byte // the data as stored: compressed, encrypted
	crc     uint32
	usize   uint32
	extra   []byte
	creator uint16
	extAttr uint32
	// shareWith, when > 0, makes this entry point at the local header
	// of entry shareWith-1 instead of having its own.
	shareWith int
}

func deflateBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	fw.Write(b)
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func deflated(t testing.TB, name string, content []byte) rawEntry {
	return rawEntry{name: []byte(name), method: zipsafe.MethodDeflate, stored: deflateBytes(t, content),
		crc: crc32.ChecksumIEEE(content), usize: uint32(len(content))}
}

// Record signatures of APPNOTE.TXT §4.3, for writing raw zips.
const (
	sigLocal   = 0x04034b50 // §4.3.7
	sigCentral = 0x02014b50 // §4.3.12
	sigEnd     = 0x06054b50 // §4.3.16
)

// buildZip lays out local headers, data, central directory and end record
// (APPNOTE.TXT §4.3.6).
func buildZip(entries []rawEntry) []byte {
	var out bytes.Buffer
	offsets := make([]uint32, len(entries))
	le := func(v ...any) {
		for _, x := range v {
			binary.Write(&out, binary.LittleEndian, x)
		}
	}
	for i, e := range entries {
		if e.shareWith > 0 {
			offsets[i] = offsets[e.shareWith-1]
			continue
		}
		offsets[i] = uint32(out.Len())
		le(uint32(sigLocal), uint16(20), e.flags, e.method, uint16(0x6000), uint16(0x5B79), e.crc,
			uint32(len(e.stored)), e.usize, uint16(len(e.name)), uint16(len(e.extra)))
		out.Write(e.name)
		out.Write(e.extra)
		out.Write(e.stored)
	}
	cd := out.Len()
	for i, e := range entries {
		stored := e.stored
		if e.shareWith > 0 {
			stored = entries[e.shareWith-1].stored
		}
		le(uint32(sigCentral), e.creator|20, uint16(20), e.flags, e.method, uint16(0x6000), uint16(0x5B79), e.crc,
			uint32(len(stored)), e.usize, uint16(len(e.name)), uint16(len(e.extra)), uint16(0), uint16(0), uint16(0),
			e.extAttr, offsets[i])
		out.Write(e.name)
		out.Write(e.extra)
	}
	le(uint32(sigEnd), uint16(0), uint16(0), uint16(len(entries)), uint16(len(entries)),
		uint32(out.Len()-cd), uint32(cd), uint16(0))
	return out.Bytes()
}

// testZip writes files with archive/zip: name → content, in order.
func testZip(t testing.TB, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(files); i += 2 {
		w, err := zw.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, files[i+1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipCryptoEncrypt encrypts content for a ZipCrypto entry, written from
// APPNOTE.TXT §6.1 apart from the package's decrypter.
func zipCryptoEncrypt(password string, plain []byte, crc uint32) []byte {
	k0, k1, k2 := uint32(0x12345678), uint32(0x23456789), uint32(0x34567890)
	tab := crc32.MakeTable(crc32.IEEE)
	step := func(c uint32, b byte) uint32 { return tab[(c^uint32(b))&0xFF] ^ (c >> 8) }
	upd := func(b byte) {
		k0 = step(k0, b)
		k1 = (k1+(k0&0xFF))*134775813 + 1
		k2 = step(k2, byte(k1>>24))
	}
	for _, b := range []byte(password) {
		upd(b)
	}
	hdr := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, byte(crc >> 24)}
	src := append(hdr, plain...)
	out := make([]byte, len(src))
	for i, p := range src {
		t := (k2 | 2) & 0xFFFF
		out[i] = p ^ byte((t*(t^1))>>8)
		upd(p)
	}
	return out
}

// aesEncrypt encrypts compressed data for a WinZip AES entry (AE-x),
// from the published description, apart from the package's decrypter.
func aesEncrypt(t testing.TB, password string, strength byte, data []byte) []byte {
	t.Helper()
	keyLen := map[byte]int{1: 16, 2: 24, 3: 32}[strength]
	salt := bytes.Repeat([]byte{0x5A}, keyLen/2)
	dk, err := pbkdf2.Key(sha1.New, password, salt, 1000, 2*keyLen+2)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(dk[:keyLen])
	ct := make([]byte, len(data))
	for i := 0; i < len(data); i += 16 {
		var ctr, ks [16]byte
		binary.LittleEndian.PutUint64(ctr[:], uint64(i/16+1))
		block.Encrypt(ks[:], ctr[:])
		for j := i; j < min(i+16, len(data)); j++ {
			ct[j] = data[j] ^ ks[j-i]
		}
	}
	mac := hmac.New(sha1.New, dk[keyLen:2*keyLen])
	mac.Write(ct)
	out := append(append(append([]byte{}, salt...), dk[2*keyLen:]...), ct...)
	return append(out, mac.Sum(nil)[:10]...)
}

func aesExtra(version uint16, strength byte, method uint16) []byte {
	b := []byte{0x01, 0x99, 7, 0, 0, 0, 'A', 'E', strength, 0, 0}
	binary.LittleEndian.PutUint16(b[4:], version)
	binary.LittleEndian.PutUint16(b[9:], method)
	return b
}

// fakeSanitize stands in for the engine in the core's tests: executables
// and scripts are withheld, zips are rebuilt recursively down to maxDepth
// (the depth travels in the context), anything else is rewritten as UTF-8
// text named after the member with ".txt".
type fakeSanitize struct {
	maxDepth int
	calls    int
	tree     sanitizer.Tree // shared by the archives it nests, as the engine's
}

type depthKey struct{}

func (f *fakeSanitize) fn(opts Options, password string) SanitizeFunc {
	return func(ctx context.Context, m *Member, emit EmitFunc) (Verdict, error) {
		f.calls++
		depth, _ := ctx.Value(depthKey{}).(int)
		// Like the engine, hold at most a bounded input and withhold
		// anything larger, reading the rest only to count it.
		body, err := io.ReadAll(io.LimitReader(m.Body, 8<<20))
		if err != nil {
			return Verdict{}, err
		}
		if n, err := io.Copy(io.Discard, m.Body); err != nil {
			return Verdict{}, err
		} else if n > 0 {
			return Verdict{Outcome: Withheld, Reason: "too-large"}, nil
		}
		ext := strings.ToLower(path.Ext(m.Base))
		switch {
		case bytes.HasPrefix(body, []byte("MZ")) || ext == ".exe" || ext == ".js":
			return Verdict{Outcome: Withheld, Reason: "executable"}, nil
		case bytes.HasPrefix(body, []byte("PK\x03\x04")):
			if depth+1 > f.maxDepth {
				return Verdict{Outcome: Withheld, Reason: "too-deep"}, nil
			}
			var out bytes.Buffer
			rb := &Rebuilder{Options: opts, Password: password, Sanitize: f.fn(opts, password), Tree: &f.tree}
			sum, err := rb.Zip(context.WithValue(ctx, depthKey{}, depth+1), bytes.NewReader(body), int64(len(body)), &out)
			var ae *Error
			if errors.As(err, &ae) && ae.Kind == ErrMalformed {
				return Verdict{Outcome: Withheld, Reason: "malformed"}, nil
			}
			if err != nil {
				return Verdict{}, err
			}
			if sum.Written == 0 {
				return Verdict{Outcome: Withheld, Reason: "archive-empty"}, nil
			}
			return Verdict{Outcome: Delivered}, emit(detect.WithExt(m.Base, ".zip"), detect.Zip, &out)
		}
		if !utf8.Valid(body) {
			body = bytes.ToValidUTF8(body, []byte("?"))
		}
		return Verdict{Outcome: Delivered}, emit(detect.WithExt(m.Base, ".txt"), detect.Text, bytes.NewReader(body))
	}
}

// rebuildZip runs the core on a zip with the fake sanitizer.
func rebuildZip(t testing.TB, in []byte, opts Options, password string) (*Summary, []byte, error) {
	t.Helper()
	f := &fakeSanitize{maxDepth: 3}
	rb := &Rebuilder{Options: opts, Password: password, Sanitize: f.fn(opts, password), Tree: &f.tree}
	var out bytes.Buffer
	sum, err := rb.Zip(context.Background(), bytes.NewReader(in), int64(len(in)), &out)
	return sum, out.Bytes(), err
}

// readOut opens a rebuilt zip and returns name → content, checking it
// passes the package's own output verifier first.
func readOut(t testing.TB, b []byte) (map[string]string, []*zip.File) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("output does not open: %v", err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		c, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = string(c)
	}
	if err := VerifyZip(nil)(context.Background(), bytes.NewReader(b), int64(len(b))); err != nil {
		t.Errorf("output fails verification: %v", err)
	}
	return out, zr.File
}

func outcomes(s *Summary) map[string]Outcome {
	m := map[string]Outcome{}
	for _, r := range s.Members {
		m[r.Name] = r.Outcome
	}
	return m
}
