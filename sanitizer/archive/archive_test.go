package archive

import (
	"archive/tar"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"github.com/mugai-project/mugai/internal/memtest"
	"github.com/mugai-project/mugai/sanitizer/archive/zipsafe"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

func TestZipRebuild(t *testing.T) {
	in := testZip(t,
		"報告書/見積書.txt", "見積金額 12,000円\n",
		"報告書/添付/memo.txt", "memo\n",
		"readme.txt", "hello\n",
	)
	sum, out, err := rebuildZip(t, in, Options{}, "")
	if err != nil {
		t.Fatal(err)
	}
	files, zf := readOut(t, out)
	want := map[string]string{
		"報告書/見積書.txt":     "見積金額 12,000円\n",
		"報告書/添付/memo.txt": "memo\n",
		"readme.txt":      "hello\n",
	}
	for name, content := range want {
		if files[name] != content {
			t.Errorf("%s = %q, want %q", name, files[name], content)
		}
	}
	if sum.Written != 3 || len(files) != 3 {
		t.Errorf("written %d, files %v", sum.Written, files)
	}
	for _, f := range zf {
		if !isASCII(f.Name) && (f.Flags&zipsafe.FlagUTF8 == 0 || f.NonUTF8) {
			t.Errorf("%q is not flagged UTF-8 (flags %#x)", f.Name, f.Flags)
		}
	}
	if bytes.Equal(in, out) {
		t.Error("the output is the input's bytes")
	}
}

func TestZipExecutablesWithheld(t *testing.T) {
	in := testZip(t,
		"invoice.exe", "MZ\x90\x00 this program cannot be run in DOS mode",
		"run.js", "WScript.Shell",
		"請求書.txt", "請求金額\n",
	)
	sum, out, err := rebuildZip(t, in, Options{}, "")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := readOut(t, out)
	if len(files) != 1 || files["請求書.txt"] != "請求金額\n" {
		t.Errorf("files = %v, want only 請求書.txt", files)
	}
	oc := outcomes(sum)
	if oc["invoice.exe"] != Withheld || oc["run.js"] != Withheld || oc["請求書.txt"] != Delivered {
		t.Errorf("outcomes = %v", oc)
	}
}

// nestedZip wraps a text file in n levels of zip.
func nestedZip(t testing.TB, n int) []byte {
	b := []byte("bottom\n")
	name := "bottom.txt"
	for i := 0; i < n; i++ {
		b = testZip(t, name, string(b))
		name = "level.zip"
	}
	return b
}

func TestZipNesting(t *testing.T) {
	in := nestedZip(t, 20)
	f := &fakeSanitize{maxDepth: 3}
	rb := &Rebuilder{Sanitize: f.fn(Options{}, ""), Tree: &f.tree}
	var out bytes.Buffer
	sum, err := rb.Zip(context.Background(), bytes.NewReader(in), int64(len(in)), &out)
	if err != nil {
		t.Fatal(err)
	}
	// The top level opens level 19; the depth limit stops the chain
	// after three more levels, and nothing deeper is even opened.
	if f.calls > 4 {
		t.Errorf("%d members opened, want at most 4", f.calls)
	}
	if sum.Written != 0 {
		t.Errorf("written %d, want 0: the bottom is out of reach", sum.Written)
	}
}

// zerosDeflate returns a raw deflate stream of n MiB of zeros, built from
// one repeated flush block so that gigabytes cost megabytes to make.
func zerosDeflate(t testing.TB, mib int) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	zero := make([]byte, 1<<20)
	var marks []int
	for i := 0; i < 3; i++ {
		fw.Write(zero)
		fw.Flush()
		marks = append(marks, buf.Len())
	}
	fw.Close()
	b := buf.Bytes()
	seg := b[marks[1]:marks[2]]
	if !bytes.Equal(seg, b[marks[0]:marks[1]]) {
		t.Fatal("deflate blocks of zeros are not identical")
	}
	out := append([]byte{}, b[:marks[0]]...)
	for i := 1; i < mib; i++ {
		out = append(out, seg...)
	}
	return append(out, b[marks[2]:]...)
}

func TestZipBomb(t *testing.T) {
	const gib = 3 << 10 // MiB: 3 GiB of zeros from about 3 MB
	stream := zerosDeflate(t, gib)
	bomb := rawEntry{name: []byte("zeros.txt"), method: zipsafe.MethodDeflate, stored: stream, usize: 3 << 30}
	liar := bomb
	liar.name, liar.usize = []byte("small.txt"), 1000
	tests := []struct {
		name  string
		entry rawEntry
		opts  Options
	}{
		{"honest header, ratio", bomb, Options{}},
		{"honest header, total", bomb, Options{MaxRatio: 1 << 20, MaxTotalBytes: 64 << 20}},
		{"lying header", liar, Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := buildZip([]rawEntry{tt.entry, deflated(t, "ok.txt", []byte("fine\n"))})
			var sum *Summary
			var out []byte
			var err error
			peak := memtest.PeakHeap(func() { sum, out, err = rebuildZip(t, in, tt.opts, "") })
			if peak > 64<<20 {
				t.Errorf("peak heap %d MiB, want < 64 MiB", peak>>20)
			}
			t.Logf("peak heap %.1f MiB", float64(peak)/(1<<20))
			if err == nil {
				// A header that lies is caught at the first bytes past
				// it: that entry is damaged, the rest delivered.
				if oc := outcomes(sum); oc[string(tt.entry.name)] != Damaged {
					t.Fatalf("bomb entry outcome %v, want the archive refused or the entry damaged", oc)
				}
				files, _ := readOut(t, out)
				if _, ok := files[string(tt.entry.name)]; ok {
					t.Error("the bomb entry was delivered")
				}
				return
			}
			var ae *Error
			if !errors.As(err, &ae) || ae.Kind != ErrLimit || !IsLimit(err) {
				t.Fatalf("err = %v, want a limit error", err)
			}
		})
	}
}

func TestZipBombOverlap(t *testing.T) {
	// The "better zip bomb" construction: many central directory
	// records share one kernel of compressed data.
	kernel := deflated(t, "a.txt", bytes.Repeat([]byte("A"), 1<<20))
	entries := []rawEntry{kernel}
	for i := 0; i < 50; i++ {
		e := kernel
		e.name = []byte{'b', byte('a' + i%26), byte('a' + i/26), '.', 't', 'x', 't'}
		e.shareWith = 1
		entries = append(entries, e)
	}
	_, _, err := rebuildZip(t, buildZip(entries), Options{}, "")
	var ae *Error
	if !errors.As(err, &ae) || ae.Kind != ErrOverlap {
		t.Fatalf("err = %v, want overlapping entries refused", err)
	}
}

func TestZipBombEntries(t *testing.T) {
	var files []string
	for i := 0; i < 30; i++ {
		files = append(files, strings.Repeat("x", i+1)+".txt", "x")
	}
	in := testZip(t, files...)
	_, _, err := rebuildZip(t, in, Options{MaxEntries: 20}, "")
	if !IsLimit(err) {
		t.Fatalf("err = %v, want the entry limit", err)
	}
	// Nested archives draw on the same allowance.
	inner := testZip(t, files[:30]...) // 15 files
	outer := testZip(t, "a.zip", string(inner), "b.zip", string(inner))
	_, _, err = rebuildZip(t, outer, Options{MaxEntries: 20}, "")
	if !IsLimit(err) {
		t.Fatalf("nested: err = %v, want the tree-wide entry limit", err)
	}
}

func TestZipSlip(t *testing.T) {
	tests := []struct{ stored, want string }{
		{"../../etc/passwd", "etc/passwd.txt"},
		{"/abs/file.txt", "abs/file.txt"},
		{`C:\Windows\x.txt`, "Windows/x.txt"},
		{"a/../../b.txt", "b.txt"},
		{`..\..\evil.txt`, "evil.txt"},
		{"./ok/./c.txt", "ok/c.txt"},
		{"d/\u202Etxt.exe.txt", "d/txt.exe.txt"},
		{"CON.txt", "_CON.txt"},
		{"...hidden.txt", "hidden.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.stored, func(t *testing.T) {
			in := testZip(t, tt.stored, "data\n")
			sum, out, err := rebuildZip(t, in, Options{}, "")
			if err != nil {
				t.Fatal(err)
			}
			files, _ := readOut(t, out)
			if _, ok := files[tt.want]; !ok || len(files) != 1 {
				t.Errorf("files = %v, want %q", keys(files), tt.want)
			}
			if unsafePath(tt.stored) && len(sum.Unsafe) != 1 {
				t.Errorf("unsafe path not reported: %v", sum.Unsafe)
			}
		})
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestZipDuplicateNames(t *testing.T) {
	in := testZip(t, "a.txt", "1", "A.TXT", "2", "a.txt", "3", "a", "4", "a/b.txt", "5")
	sum, out, err := rebuildZip(t, in, Options{}, "")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := readOut(t, out)
	if len(files) != 5 {
		t.Errorf("files = %v, want 5 distinct", keys(files))
	}
	if sum.Renamed == 0 {
		t.Error("renames not counted")
	}
}

func TestZipCP932Names(t *testing.T) {
	sjis, err := japanese.ShiftJIS.NewEncoder().String("見積書.txt")
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := japanese.ShiftJIS.NewEncoder().String("資料\\")
	content := []byte("見積\n")
	in := buildZip([]rawEntry{
		deflated(t, sjis, content),
		deflated(t, dir+sjis, content),
	})
	sum, out, err := rebuildZip(t, in, Options{}, "")
	if err != nil {
		t.Fatal(err)
	}
	files, zf := readOut(t, out)
	for _, want := range []string{"見積書.txt", "資料/見積書.txt"} {
		if files[want] != string(content) {
			t.Errorf("%s missing: %v", want, keys(files))
		}
	}
	for _, f := range zf {
		if f.Flags&zipsafe.FlagUTF8 == 0 {
			t.Errorf("%q lacks the UTF-8 flag", f.Name)
		}
	}
	if sum.CP932 != 2 {
		t.Errorf("CP932 = %d, want 2", sum.CP932)
	}
}

func TestZipUnicodePathExtra(t *testing.T) {
	raw := []byte("mitsumori.txt") // what an old tool wrote in the name field
	uni := []byte("見積書.txt")
	extra := []byte{0x75, 0x70, 0, 0, 1, 0, 0, 0, 0}
	extra[2] = byte(5 + len(uni))
	crc := crc32.ChecksumIEEE(raw)
	extra[5], extra[6], extra[7], extra[8] = byte(crc), byte(crc>>8), byte(crc>>16), byte(crc>>24)
	e := deflated(t, string(raw), []byte("x\n"))
	e.extra = append(extra, uni...)
	_, out, err := rebuildZip(t, buildZip([]rawEntry{e}), Options{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if files, _ := readOut(t, out); files["見積書.txt"] != "x\n" {
		t.Errorf("files = %v, want the Unicode Path name", keys(files))
	}
}

func TestZipSymlink(t *testing.T) {
	link := rawEntry{name: []byte("passwd"), method: zipsafe.MethodStore, stored: []byte("/etc/passwd"),
		crc: crc32.ChecksumIEEE([]byte("/etc/passwd")), usize: 11, creator: 3 << 8, extAttr: 0xA1FF << 16}
	in := buildZip([]rawEntry{link, deflated(t, "ok.txt", []byte("ok\n"))})
	sum, out, err := rebuildZip(t, in, Options{}, "")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := readOut(t, out)
	if _, ok := files["passwd"]; ok || len(files) != 1 {
		t.Errorf("files = %v, want the link dropped", keys(files))
	}
	if outcomes(sum)["passwd"] != Dropped {
		t.Errorf("outcomes = %v", outcomes(sum))
	}
}

func TestZipMalformed(t *testing.T) {
	good := testZip(t, "a.txt", "a\n")
	tests := map[string][]byte{
		"empty":          {},
		"truncated":      good[:len(good)-5],
		"trailing bytes": append(append([]byte{}, good...), "junk"...),
		"prepended":      append([]byte("junk"), good...),
		"not a zip":      []byte("hello world, this is not a zip archive at all"),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := rebuildZip(t, in, Options{}, "")
			var ae *Error
			if !errors.As(err, &ae) || ae.Kind != ErrMalformed {
				t.Fatalf("err = %v, want malformed", err)
			}
		})
	}
	t.Run("bad CRC", func(t *testing.T) {
		e := deflated(t, "a.txt", []byte("hello\n"))
		e.crc++
		sum, _, err := rebuildZip(t, buildZip([]rawEntry{e}), Options{}, "")
		if err != nil || outcomes(sum)["a.txt"] != Damaged {
			t.Fatalf("err = %v, outcomes %v, want the entry damaged", err, sum)
		}
	})
}

func TestPPAPZipCrypto(t *testing.T) {
	plain := []byte("見積書 PPAP 本文\n")
	crc := crc32.ChecksumIEEE(plain)
	compressed := deflateBytes(t, plain)
	in := buildZip([]rawEntry{{name: []byte("見積書.txt"), flags: zipsafe.FlagEncrypted | zipsafe.FlagUTF8, method: zipsafe.MethodDeflate,
		stored: zipCryptoEncrypt("p@ss", compressed, crc), crc: crc, usize: uint32(len(plain))}})
	tests := []struct {
		password string
		want     Outcome
	}{
		{"", Encrypted},
		{"wrong", WrongPassword},
		{"p@ss", Delivered},
	}
	for _, tt := range tests {
		t.Run("password="+tt.password, func(t *testing.T) {
			sum, out, err := rebuildZip(t, in, Options{}, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			if got := outcomes(sum)["見積書.txt"]; got != tt.want {
				t.Fatalf("outcome %s, want %s", got, tt.want)
			}
			if tt.want == Delivered {
				if files, _ := readOut(t, out); files["見積書.txt"] != string(plain) {
					t.Errorf("files = %v", files)
				}
			}
		})
	}
}

func TestPPAPAES(t *testing.T) {
	plain := bytes.Repeat([]byte("見積書 AES 本文\n"), 50)
	crc := crc32.ChecksumIEEE(plain)
	entry := func(version uint16, strength byte, method uint16, data []byte) rawEntry {
		c := crc
		if version == 2 {
			c = 0
		}
		return rawEntry{name: []byte("a.txt"), flags: zipsafe.FlagEncrypted, method: zipsafe.MethodAES,
			stored: aesEncrypt(t, "秘密pw", strength, data), crc: c, usize: uint32(len(plain)),
			extra: aesExtra(version, strength, method)}
	}
	tampered := entry(2, 3, zipsafe.MethodDeflate, deflateBytes(t, plain))
	tampered.stored[len(tampered.stored)/2] ^= 1
	tests := []struct {
		name     string
		e        rawEntry
		password string
		want     Outcome
	}{
		{"AE-1 128 deflate", entry(1, 1, zipsafe.MethodDeflate, deflateBytes(t, plain)), "秘密pw", Delivered},
		{"AE-2 192 store", entry(2, 2, zipsafe.MethodStore, plain), "秘密pw", Delivered},
		{"AE-2 256 deflate", entry(2, 3, zipsafe.MethodDeflate, deflateBytes(t, plain)), "秘密pw", Delivered},
		{"no password", entry(2, 3, zipsafe.MethodDeflate, deflateBytes(t, plain)), "", Encrypted},
		{"wrong password", entry(2, 3, zipsafe.MethodDeflate, deflateBytes(t, plain)), "himitsu", WrongPassword},
		{"tampered ciphertext", tampered, "秘密pw", Damaged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, out, err := rebuildZip(t, buildZip([]rawEntry{tt.e}), Options{}, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			if got := outcomes(sum)["a.txt"]; got != tt.want {
				t.Fatalf("outcome %s (%+v), want %s", got, sum.Members, tt.want)
			}
			if tt.want == Delivered {
				if files, _ := readOut(t, out); files["a.txt"] != string(plain) {
					t.Errorf("content differs")
				}
			}
		})
	}
}

// TestPPAPRealTools opens archives made by Info-ZIP's zip -P (ZipCrypto)
// and 7-Zip (AES-128 and AES-256, AE-2), kept in testdata, and, when the
// tools are installed, fresh ones.
func TestPPAPRealTools(t *testing.T) {
	want, err := os.ReadFile("testdata/mitsumori.txt")
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, in []byte, name string) {
		t.Helper()
		for _, pw := range []string{"", "wrong", "himitsu"} {
			sum, out, err := rebuildZip(t, in, Options{}, pw)
			if err != nil {
				t.Fatalf("password %q: %v", pw, err)
			}
			got := outcomes(sum)[name]
			switch {
			case pw == "" && got != Encrypted, pw == "wrong" && got != WrongPassword:
				t.Errorf("password %q: outcome %s", pw, got)
			case pw == "himitsu":
				if files, _ := readOut(t, out); files[name] != string(want) {
					t.Errorf("%s not recovered: %v", name, keys(files))
				}
			}
		}
	}
	for file, name := range map[string]string{
		"ppap-zipcrypto.zip": "mitsumori.txt",
		"ppap-aes128.zip":    "mitsumori.txt",
		"ppap-aes256.zip":    "見積書.txt",
	} {
		t.Run(file, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			check(t, in, name)
		})
	}
	tools := []struct {
		name string
		args []string
	}{
		{"zip", []string{"-q", "-P", "himitsu", "out.zip", "mitsumori.txt"}},
		{"7zz", []string{"a", "-tzip", "-mm=Deflate", "-mem=AES256", "-phimitsu", "out.zip", "mitsumori.txt"}},
	}
	for _, tool := range tools {
		t.Run(tool.name, func(t *testing.T) {
			bin, err := exec.LookPath(tool.name)
			if err != nil {
				t.Skipf("%s not installed (Debian package %s)", tool.name, map[string]string{"zip": "zip", "7zz": "7zip"}[tool.name])
			}
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "mitsumori.txt"), want, 0o644)
			cmd := exec.Command(bin, tool.args...)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", tool.name, err, out)
			}
			in, err := os.ReadFile(filepath.Join(dir, "out.zip"))
			if err != nil {
				t.Fatal(err)
			}
			check(t, in, "mitsumori.txt")
		})
	}
}

func TestTarLinks(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, body string) {
		h.Size = int64(len(body))
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, body)
	}
	add(&tar.Header{Name: "docs/", Typeflag: tar.TypeDir, Mode: 0o755}, "")
	add(&tar.Header{Name: "docs/a.txt", Typeflag: tar.TypeReg}, "a\n")
	add(&tar.Header{Name: "docs/passwd", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}, "")
	add(&tar.Header{Name: "docs/hard", Typeflag: tar.TypeLink, Linkname: "../../etc/shadow"}, "")
	add(&tar.Header{Name: "dev/null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3}, "")
	add(&tar.Header{Name: "../../../tmp/evil.txt", Typeflag: tar.TypeReg}, "evil\n")
	tw.Close()

	f := &fakeSanitize{maxDepth: 3}
	rb := &Rebuilder{Sanitize: f.fn(Options{}, ""), Tree: &f.tree}
	var out bytes.Buffer
	sum, err := rb.Tar(context.Background(), &buf, &out)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := readOut(t, out.Bytes())
	if len(files) != 2 || files["docs/a.txt"] != "a\n" || files["tmp/evil.txt"] != "evil\n" {
		t.Errorf("files = %v", keys(files))
	}
	if n := sum.Count(Dropped); n != 3 {
		t.Errorf("dropped %d, want 3 (symlink, hard link, device): %+v", n, sum.Members)
	}
	if len(sum.Unsafe) != 1 {
		t.Errorf("unsafe = %v", sum.Unsafe)
	}
}

func TestTarBombEntries(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := 0; i < 30; i++ {
		tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("l%d", i), Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink})
	}
	tw.Close()
	f := &fakeSanitize{maxDepth: 3}
	rb := &Rebuilder{Options: Options{MaxEntries: 20}, Sanitize: f.fn(Options{}, ""), Tree: &f.tree}
	if _, err := rb.Tar(context.Background(), &buf, io.Discard); !IsLimit(err) {
		t.Fatalf("err = %v, want the entry limit", err)
	}
}

func TestGzip(t *testing.T) {
	// member writes a gzip member by hand (RFC 1952 §2.3), since
	// compress/gzip only writes ISO 8859-1 names and tools in the field
	// write UTF-8 or CP932 bytes.
	member := func(name, body string) []byte {
		b := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}
		if name != "" {
			b[3] = 1 << 3 // FNAME
			b = append(append(b, name...), 0)
		}
		b = append(b, deflateBytes(t, []byte(body))...)
		return binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE([]byte(body))), uint32(len(body)))
	}
	sjis, _ := japanese.ShiftJIS.NewEncoder().String("見積書.txt")
	tests := []struct {
		name, outer string
		in          []byte
		want        string // output name; "" for refused
	}{
		{"header name", "x.gz", member("見積書.txt", "見積\n"), "見積書.txt"},
		{"CP932 header name", "x.gz", member(sjis, "見積\n"), "見積書.txt"},
		{"Latin-1 name from compress/gzip", "x.gz", stdGzip("report.txt", "r\n"), "report.txt"},
		{"outer name", "report.txt.gz", member("", "r\n"), "report.txt"},
		{"traversal in header", "x.gz", member("../../etc/cron.d/x", "x\n"), "x.txt"},
		{"two members", "x.gz", append(member("a", "a\n"), member("b", "b\n")...), ""},
		{"trailing junk", "x.gz", append(member("a", "a\n"), "junk"...), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeSanitize{maxDepth: 3}
			rb := &Rebuilder{Sanitize: f.fn(Options{}, ""), Tree: &f.tree}
			var got []string
			sum, err := rb.Gzip(context.Background(), bytes.NewReader(tt.in), int64(len(tt.in)), tt.outer,
				func(name string, kind detect.Kind, body io.Reader) error {
					got = append(got, detect.CleanName(name))
					_, err := io.Copy(io.Discard, body)
					return err
				})
			if tt.want == "" {
				if err == nil {
					t.Fatalf("accepted: %+v", sum)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("outputs %v, want %s", got, tt.want)
			}
		})
	}
}

func stdGzip(name, body string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Name = name
	io.WriteString(zw, body)
	zw.Close()
	return b.Bytes()
}

func TestGzipBomb(t *testing.T) {
	// RFC 1952 §2.3 by hand around 256 MiB of deflated zeros; the trailer
	// is never reached.
	var b bytes.Buffer
	b.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3})
	b.Write(zerosDeflate(t, 256))
	b.Write(make([]byte, 8))
	f := &fakeSanitize{maxDepth: 3}
	rb := &Rebuilder{Sanitize: f.fn(Options{}, ""), Tree: &f.tree}
	_, err := rb.Gzip(context.Background(), bytes.NewReader(b.Bytes()), int64(b.Len()), "z.gz",
		func(string, detect.Kind, io.Reader) error { return nil })
	if !IsLimit(err) {
		t.Fatalf("err = %v, want the ratio limit", err)
	}
}

func TestSplitPath(t *testing.T) {
	tests := []struct {
		in   string
		dirs []string
		base string
	}{
		{"a/b/c.txt", []string{"a", "b"}, "c.txt"},
		{"", nil, "file"},
		{"../..", nil, "file"},
		{"x/", nil, "x"},
		{"a\x00b/c", []string{"ab"}, "c"},
	}
	for _, tt := range tests {
		dirs, base, _ := splitPath(tt.in)
		if strings.Join(dirs, "/") != strings.Join(tt.dirs, "/") || base != tt.base {
			t.Errorf("splitPath(%q) = %v %q, want %v %q", tt.in, dirs, base, tt.dirs, tt.base)
		}
	}
}
