package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/archive/zipsafe"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// fuzzSeeds are the archives of the tests above, small.
func fuzzSeeds(t testing.TB) [][]byte {
	plain := []byte("見積書\n")
	crc := crc32.ChecksumIEEE(plain)
	var seeds [][]byte
	seeds = append(seeds,
		testZip(t, "a.txt", "a\n", "資料/b.txt", "b\n", "../../etc/passwd", "x", "invoice.exe", "MZ\x90"),
		nestedZip(t, 4),
		buildZip([]rawEntry{deflated(t, "\x8c\xa9\x90\xcf\x8f\x91.txt", plain)}), // 見積書.txt in CP932
		buildZip([]rawEntry{{name: []byte("z.txt"), flags: zipsafe.FlagEncrypted, method: zipsafe.MethodDeflate,
			stored: zipCryptoEncrypt("p@ss", deflateBytes(t, plain), crc), crc: crc, usize: uint32(len(plain))}}),
		buildZip([]rawEntry{{name: []byte("a.txt"), flags: zipsafe.FlagEncrypted, method: zipsafe.MethodAES,
			stored: aesEncrypt(t, "p@ss", 1, deflateBytes(t, plain)), crc: crc, usize: uint32(len(plain)), extra: aesExtra(1, 1, zipsafe.MethodDeflate)}}),
		buildZip([]rawEntry{deflated(t, "k.txt", plain), {name: []byte("k2.txt"), method: zipsafe.MethodDeflate, shareWith: 1, crc: crc, usize: uint32(len(plain))}}),
		buildZip([]rawEntry{{name: []byte("l"), method: zipsafe.MethodStore, stored: []byte("/etc"), crc: crc32.ChecksumIEEE([]byte("/etc")), usize: 4, creator: 3 << 8, extAttr: 0xA1FF << 16}}),
		buildZip([]rawEntry{{name: []byte("z.txt"), method: zipsafe.MethodDeflate, stored: zerosDeflate(t, 4), usize: 4 << 20}}),
	)
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	tw.WriteHeader(&tar.Header{Name: "../a.txt", Mode: 0o644, Size: 2, Typeflag: tar.TypeReg})
	tw.Write([]byte("a\n"))
	tw.WriteHeader(&tar.Header{Name: "l", Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink})
	tw.Close()
	seeds = append(seeds, tb.Bytes())
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tb.Bytes())
	zw.Close()
	seeds = append(seeds, gz.Bytes())
	files, _ := filepath.Glob(filepath.Join("testdata", "*.zip"))
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			seeds = append(seeds, b)
		}
	}
	return seeds
}

// FuzzArchive feeds arbitrary bytes to the zip, tar and gzip readers with
// tight limits: no panic, and whatever is rebuilt passes the output check
// and stays within the byte allowance.
func FuzzArchive(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	opts := Options{MaxEntries: 50, MaxTotalBytes: 4 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		fake := &fakeSanitize{maxDepth: 3}
		rb := &Rebuilder{Options: opts, Password: "p@ss", Sanitize: fake.fn(opts, "p@ss"), Tree: &fake.tree}
		var out bytes.Buffer
		if _, err := rb.Zip(ctx, bytes.NewReader(data), int64(len(data)), &out); err == nil {
			if err := VerifyZip(nil)(ctx, bytes.NewReader(out.Bytes()), int64(out.Len())); err != nil {
				t.Fatalf("rebuilt zip fails verification: %v", err)
			}
			if out.Len() > 8<<20 {
				t.Fatalf("rebuilt zip of %d bytes", out.Len())
			}
		}
		out.Reset()
		if _, err := rb.Tar(ctx, bytes.NewReader(data), &out); err == nil {
			if err := VerifyZip(nil)(ctx, bytes.NewReader(out.Bytes()), int64(out.Len())); err != nil {
				t.Fatalf("zip rebuilt from tar fails verification: %v", err)
			}
		}
		n := int64(0)
		rb.Gzip(ctx, bytes.NewReader(data), int64(len(data)), "x.gz", func(name string, k detect.Kind, r io.Reader) error {
			if detect.CleanName(name) != name && !strings.Contains(name, "/") {
				t.Errorf("emitted unclean name %q", name)
			}
			c, err := io.Copy(io.Discard, r)
			n += c
			return err
		})
		if n > opts.MaxTotalBytes {
			t.Fatalf("gzip produced %d bytes over the allowance", n)
		}
	})
}

// benchZip is 200 text files of 8 KiB in 10 folders.
func benchZip(b *testing.B) ([]byte, int64) {
	line := strings.Repeat("見積書 明細 金額 12,000円 ", 20) + "\n"
	body := strings.Repeat(line, 8<<10/len(line)+1)[:8<<10]
	var files []string
	for i := 0; i < 200; i++ {
		files = append(files, fmt.Sprintf("フォルダ%d/ファイル%03d.txt", i%10, i), body)
	}
	return testZip(b, files...), 200 * 8 << 10
}

// BenchmarkArchiveZip measures the core alone: open, decompress, count,
// rebuild, with members copied through.
func BenchmarkArchiveZip(b *testing.B) {
	in, raw := benchZip(b)
	rb := &Rebuilder{Sanitize: func(ctx context.Context, m *Member, emit EmitFunc) (Verdict, error) {
		return Verdict{Outcome: Delivered}, emit(m.Base, detect.Text, m.Body)
	}}
	b.SetBytes(raw)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := rb.Zip(context.Background(), bytes.NewReader(in), int64(len(in)), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(200*b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkEngineZip runs the same archive through the engine: every
// member detected, rewritten as text and verified, the zip verified.
func BenchmarkEngineZip(b *testing.B) {
	in, raw := benchZip(b)
	e := newEngine(b, Options{})
	b.SetBytes(raw)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := e.Sanitize(context.Background(), sanitizer.Input{Name: "bench.zip", Body: bytes.NewReader(in)})
		if err != nil || res.Report.Withheld {
			b.Fatalf("err %v report %+v", err, res.Report.Reasons)
		}
		res.Close()
	}
	b.ReportMetric(float64(200*b.N)/b.Elapsed().Seconds(), "entries/s")
}
