package zipsafe

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"testing"

	"golang.org/x/text/encoding/japanese"
)

// testZip writes files with archive/zip: name, content, name, content…
func testZip(t testing.TB, method uint16, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i < len(files); i += 2 {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: files[i], Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[i+1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// records returns the offsets of every record with signature sig.
func records(b []byte, sig uint32) []int {
	var out []int
	for i := 0; i+4 <= len(b); i++ {
		if binary.LittleEndian.Uint32(b[i:]) == sig {
			out = append(out, i)
		}
	}
	return out
}

func put16(b []byte, v uint16) { binary.LittleEndian.PutUint16(b, v) }
func put32(b []byte, v uint32) { binary.LittleEndian.PutUint32(b, v) }

func read(t *testing.T, b []byte, maxEntries int) (*Dir, error) {
	t.Helper()
	return ReadDir(bytes.NewReader(b), int64(len(b)), maxEntries)
}

func TestReadDir(t *testing.T) {
	b := testZip(t, MethodDeflate, "a.txt", "hello", "dir/", "", "b.txt", "world")
	d, err := read(t, b, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Entries) != 3 {
		t.Fatalf("%d entries, want 3", len(d.Entries))
	}
	if d.Entries[0].Name != "a.txt" || d.Entries[0].IsDir() || !d.Entries[1].IsDir() {
		t.Errorf("entries = %q %q", d.Entries[0].Name, d.Entries[1].Name)
	}
	rc, err := d.Entries[2].Open(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, err := io.ReadAll(rc); err != nil || string(got) != "world" {
		t.Errorf("b.txt = %q, %v", got, err)
	}
}

// TestReadDirRefusesHiddenData: bytes before the first record (a
// polyglot or self-extractor) or after the end record are refused, as
// are central records that overlap or disagree with their local headers.
func TestReadDirRefusesHiddenData(t *testing.T) {
	good := func() []byte { return testZip(t, MethodDeflate, "a.txt", "hello", "b.txt", "world") }
	overlap := good()
	cds := records(overlap, sigCentral)
	copy(overlap[cds[1]+42:cds[1]+46], overlap[cds[0]+42:cds[0]+46]) // b.txt at a.txt's header
	method := good()
	put16(method[records(method, sigLocal)[0]+8:], MethodStore)
	for _, tc := range []struct {
		name    string
		in      []byte
		overlap bool
	}{
		{"DataBefore", append([]byte("MZ prefix"), good()...), false},
		{"DataAfter", append(good(), "trailer"...), false},
		{"Truncated", good()[:40], false},
		{"NotAZip", []byte("%PDF-1.7\n"), false},
		{"BetterZipBombOverlap", overlap, true},
		{"LocalHeaderDisagrees", method, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := read(t, tc.in, 10)
			var fe FormatError
			var oe *OverlapError
			switch {
			case err == nil:
				t.Fatal("accepted")
			case tc.overlap && !errors.As(err, &oe):
				t.Errorf("err = %v, want an OverlapError", err)
			case !tc.overlap && !errors.As(err, &fe):
				t.Errorf("err = %v, want a FormatError", err)
			}
		})
	}
}

func TestReadDirTooManyEntries(t *testing.T) {
	_, err := read(t, testZip(t, MethodStore, "a", "1", "b", "2", "c", "3"), 2)
	var tm *TooManyError
	if !errors.As(err, &tm) || tm.Entries != 3 || tm.Max != 2 {
		t.Fatalf("err = %v, want 3 entries over 2", err)
	}
}

// TestOpenChecksTheCentralDirectory: the content must be as long as the
// central directory says and match its CRC-32, however it is stored.
func TestOpenChecksTheCentralDirectory(t *testing.T) {
	for _, method := range []uint16{MethodStore, MethodDeflate} {
		for _, tc := range []struct {
			name  string
			patch func(cd []byte)
		}{
			{"CRCMismatch", func(cd []byte) { cd[16] ^= 1 }},
			{"LongerThanDeclared", func(cd []byte) { put32(cd[24:], 3) }},
			{"ShorterThanDeclared", func(cd []byte) { put32(cd[24:], 64) }},
		} {
			t.Run(fmt.Sprintf("%s/method%d", tc.name, method), func(t *testing.T) {
				b := testZip(t, method, "a.txt", "hello, world")
				tc.patch(b[records(b, sigCentral)[0]:])
				d, err := read(t, b, 10)
				if err != nil {
					t.Fatal(err)
				}
				rc, err := d.Entries[0].Open(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				defer rc.Close()
				var fe FormatError
				if _, err := io.ReadAll(rc); !errors.As(err, &fe) {
					t.Errorf("method %d: err = %v, want a FormatError", method, err)
				}
			})
		}
	}
}

func TestOpenRefusesEncrypted(t *testing.T) {
	b := testZip(t, MethodStore, "a.txt", "hello")
	b[records(b, sigLocal)[0]+6] |= FlagEncrypted
	b[records(b, sigCentral)[0]+8] |= FlagEncrypted
	d, err := read(t, b, 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Entries[0].Open(bytes.NewReader(b)); err == nil {
		t.Fatal("an encrypted entry opened as plain data")
	}
}

func TestDecodeName(t *testing.T) {
	sjis, _ := japanese.ShiftJIS.NewEncoder().Bytes([]byte("見積書.txt"))
	uni := []byte("請求書.txt")
	for _, tc := range []struct {
		name     string
		raw      []byte
		utf8Flag bool
		uni      []byte
		uniCRC   uint32
		want     string
		cp932    bool
	}{
		{"UTF8Flag", []byte("見積書.txt"), true, nil, 0, "見積書.txt", false},
		{"UTF8WithoutFlag", []byte("見積書.txt"), false, nil, 0, "見積書.txt", false},
		{"CP932", sjis, false, nil, 0, "見積書.txt", true},
		{"UnicodePathField", sjis, false, uni, crc32.ChecksumIEEE(sjis), "請求書.txt", false},
		{"StaleUnicodePathField", sjis, false, uni, 1, "見積書.txt", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, cp := DecodeName(tc.raw, tc.utf8Flag, tc.uni, tc.uniCRC, tc.uni != nil)
			if got != tc.want || cp != tc.cp932 {
				t.Errorf("got %q (cp932 %v), want %q (%v)", got, cp, tc.want, tc.cp932)
			}
		})
	}
}
