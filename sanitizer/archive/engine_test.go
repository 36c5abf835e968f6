package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/enginetest"
	"github.com/mugai-project/mugai/internal/memtest"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/archive/zipsafe"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// These tests run archives through the real engine with the archive
// handlers and verifiers installed, as mugai does.

func newEngine(t testing.TB, opts Options) *sanitizer.Engine {
	t.Helper()
	return newEngineWith(t, sanitizer.Policy{}, opts)
}

func newEngineWith(t testing.TB, p sanitizer.Policy, opts Options) *sanitizer.Engine {
	t.Helper()
	return enginetest.New(t, sanitizer.Options{Policy: p, Handlers: Handlers(opts), Verifiers: Verifiers()}, nil)
}

func sanitize(t testing.TB, e *sanitizer.Engine, in sanitizer.Input) *sanitizer.Result {
	t.Helper()
	res, err := e.Sanitize(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	return res
}

// outZip returns the one zip output's files.
func outZip(t testing.TB, res *sanitizer.Result) map[string]string {
	t.Helper()
	if res.Report.Withheld || len(res.Outputs) != 1 || res.Outputs[0].Kind != detect.Zip {
		b, _ := json.MarshalIndent(res.Report, "", " ")
		t.Fatalf("want one zip output, got report %s", b)
	}
	o := res.Outputs[0]
	b, err := io.ReadAll(o.Open())
	if err != nil {
		t.Fatal(err)
	}
	files, _ := readOut(t, b)
	return files
}

func TestEngineZip(t *testing.T) {
	e := newEngine(t, Options{})
	inner := testZip(t, "内側.txt", "入れ子のテキスト\n")
	in := testZip(t,
		"資料/見積書.txt", "見積金額 12,000円\n",
		"資料/一覧.csv", "品名,金額\nりんご,100\n",
		"invoice.exe", "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00 This program cannot be run in DOS mode.",
		"run.js", "var s = new ActiveXObject('WScript.Shell');\n",
		"../../etc/passwd", "root:x:0:0\n",
		"inner.zip", string(inner),
	)
	res := sanitize(t, e, sanitizer.Input{Name: "添付.zip", Body: bytes.NewReader(in)})
	files := outZip(t, res)
	for _, want := range []string{"資料/見積書.txt", "資料/一覧.csv", "etc/passwd.txt", "inner.zip"} {
		if _, ok := files[want]; !ok {
			t.Errorf("%s missing from %v", want, keys(files))
		}
	}
	if len(files) != 4 {
		t.Errorf("files = %v, want 4 (exe and js withheld)", keys(files))
	}
	if res.Outputs[0].Name != "添付.zip" {
		t.Errorf("output name %q", res.Outputs[0].Name)
	}
	if !strings.Contains(files["資料/見積書.txt"], "12,000円") {
		t.Errorf("text lost: %q", files["資料/見積書.txt"])
	}
	withheld := map[string]string{}
	for _, c := range res.Report.Children {
		if c.Withheld {
			withheld[c.Name] = c.Reasons[0].Code
		}
	}
	if withheld["invoice.exe"] != sanitizer.ReasonExecutable || withheld["run.js"] != sanitizer.ReasonExecutable {
		t.Errorf("withheld children = %v", withheld)
	}
	found := false
	for _, f := range res.Report.Findings {
		found = found || f.Code == FindingUnsafePath
	}
	if !found {
		t.Errorf("traversal not reported: %+v", res.Report.Findings)
	}
}

func TestEngineZipNesting(t *testing.T) {
	e := newEngine(t, Options{})
	res := sanitize(t, e, sanitizer.Input{Name: "deep.zip", Body: bytes.NewReader(nestedZip(t, 20))})
	if !res.Report.Withheld || res.Report.Reasons[0].Code != sanitizer.ReasonArchiveEmpty {
		t.Fatalf("report: withheld %v reasons %+v", res.Report.Withheld, res.Report.Reasons)
	}
	depth := 0
	for r := res.Report; len(r.Children) > 0; r = r.Children[0] {
		depth++
		if r.Children[0].Withheld && r.Children[0].Reasons[0].Code == sanitizer.ReasonDepth {
			break
		}
	}
	if depth != 4 {
		t.Errorf("stopped after %d levels, want 4 (depth limit 3)", depth)
	}
}

// TestEngineNestedArchivesShareOneBudget: archives nested through the
// engine (each one a child item of the one around it) draw on the entry
// allowance of their item tree, so nesting cannot multiply it.
func TestEngineNestedArchivesShareOneBudget(t *testing.T) {
	var files []string
	for i := range 15 {
		files = append(files, fmt.Sprintf("%02d.txt", i), "x\n")
	}
	inner := string(testZip(t, files...))
	outer := testZip(t, "a.zip", inner, "b.zip", inner)
	tests := []struct {
		max      int
		withheld bool
	}{
		{20, true},  // 2 + 15 + 15 entries across the tree
		{40, false}, // room for all 32
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.max), func(t *testing.T) {
			res := sanitize(t, newEngine(t, Options{MaxEntries: tt.max}), sanitizer.Input{Name: "outer.zip", Body: bytes.NewReader(outer)})
			if res.Report.Withheld != tt.withheld {
				t.Fatalf("withheld %v, want %v: %+v", res.Report.Withheld, tt.withheld, res.Report.Reasons)
			}
			if tt.withheld && res.Report.Reasons[0].Code != sanitizer.ReasonBomb {
				t.Errorf("reason %+v, want %s", res.Report.Reasons, sanitizer.ReasonBomb)
			}
		})
	}
}

func TestEngineZipBomb(t *testing.T) {
	stream := zerosDeflate(t, 3<<10)
	in := buildZip([]rawEntry{
		{name: []byte("zeros.txt"), method: zipsafe.MethodDeflate, stored: stream, usize: 3 << 30},
		deflated(t, "ok.txt", []byte("fine\n")),
	})
	e := newEngine(t, Options{})
	var res *sanitizer.Result
	peak := memtest.PeakHeap(func() { res = sanitize(t, e, sanitizer.Input{Name: "bomb.zip", Body: bytes.NewReader(in)}) })
	if peak > 64<<20 {
		t.Errorf("peak heap %d MiB, want < 64 MiB", peak>>20)
	}
	t.Logf("peak heap %.1f MiB", float64(peak)/(1<<20))
	// Either the whole archive is refused or the bomb entry is
	// withheld; never is it delivered.
	if !res.Report.Withheld {
		files := outZip(t, res)
		if _, ok := files["zeros.txt"]; ok {
			t.Fatal("the bomb entry was delivered")
		}
	}
}

// TestPPAPQuarantineRelease: an encrypted zip is held, its original kept
// in the quarantine with an ID, then fetched by that ID and run again
// with the password, as the web flow will do.
func TestPPAPQuarantineRelease(t *testing.T) {
	plain := []byte("見積書の本文\n")
	crc := crc32.ChecksumIEEE(plain)
	zipCrypto := buildZip([]rawEntry{{name: []byte("見積書.txt"), flags: zipsafe.FlagEncrypted | zipsafe.FlagUTF8, method: zipsafe.MethodDeflate,
		stored: zipCryptoEncrypt("p@ss", deflateBytes(t, plain), crc), crc: crc, usize: uint32(len(plain))}})
	aes := buildZip([]rawEntry{{name: []byte("見積書.txt"), flags: zipsafe.FlagEncrypted | zipsafe.FlagUTF8, method: zipsafe.MethodAES,
		stored: aesEncrypt(t, "p@ss", 3, deflateBytes(t, plain)), usize: uint32(len(plain)), extra: aesExtra(2, 3, zipsafe.MethodDeflate)}})
	sevenZip, err := os.ReadFile(filepath.Join("testdata", "ppap-aes256.zip"))
	if err != nil {
		t.Fatal(err)
	}

	e := newEngine(t, Options{})
	q, err := store.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tt := range []struct {
		name, password, want string
		in                   []byte
	}{
		{"zipcrypto.zip", "p@ss", "見積書.txt", zipCrypto},
		{"aes.zip", "p@ss", "見積書.txt", aes},
		{"7-zip-aes.zip", "himitsu", "見積書.txt", sevenZip},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := sanitize(t, e, sanitizer.Input{Name: tt.name, Body: bytes.NewReader(tt.in)})
			rep := res.Report
			if !rep.Withheld || rep.Action != sanitizer.Hold || rep.Reasons[0].Code != sanitizer.ReasonEncrypted {
				t.Fatalf("not held for encryption: %+v", rep)
			}
			repJSON, _ := json.Marshal(rep)
			id, err := q.Put(ctx, store.Item{Name: rep.Name, SHA256: rep.SHA256, Reason: rep.Reasons[0].Code, Report: repJSON},
				res.Original.Open())
			if err != nil {
				t.Fatal(err)
			}

			rerun := func(password string) *sanitizer.Result {
				it, rc, err := q.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				defer rc.Close()
				return sanitize(t, e, sanitizer.Input{Name: it.Name, Body: rc, Password: password})
			}
			wrong := rerun("not-the-password")
			if !wrong.Report.Withheld || wrong.Report.Action != sanitizer.Hold || wrong.Report.Reasons[0].Code != sanitizer.ReasonWrongPassword {
				t.Errorf("wrong password: %+v", wrong.Report)
			}
			files := outZip(t, rerun(tt.password))
			if _, ok := files[tt.want]; !ok || len(files) == 0 {
				t.Errorf("released zip holds %v, want %s", keys(files), tt.want)
			}
			for name, content := range files {
				if tt.name != "7-zip-aes.zip" && name == tt.want && content != string(plain) {
					t.Errorf("%s = %q", name, content)
				}
			}
			if err := q.SetState(ctx, id, store.Released, "test"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestEngineTarGz(t *testing.T) {
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for _, f := range []struct{ name, body string }{{"docs/a.txt", "a\n"}, {"docs/b.txt", "b\n"}} {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg})
		io.WriteString(tw, f.body)
	}
	tw.WriteHeader(&tar.Header{Name: "docs/link", Linkname: "/etc/shadow", Typeflag: tar.TypeSymlink})
	tw.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tb.Bytes())
	zw.Close()

	e := newEngine(t, Options{})
	res := sanitize(t, e, sanitizer.Input{Name: "docs.tar.gz", Body: bytes.NewReader(gz.Bytes())})
	files := outZip(t, res)
	if len(files) != 2 || files["docs/a.txt"] != "a\n" {
		t.Errorf("files = %v", files)
	}
	if res.Outputs[0].Name != "docs.zip" {
		t.Errorf("output name %q, want docs.zip", res.Outputs[0].Name)
	}
}

// TestEngineOtherArchiveKinds: archive formats mugai does not open are
// withheld, and the report names the format.
func TestEngineOtherArchiveKinds(t *testing.T) {
	iso := make([]byte, 0x8800)
	copy(iso[0x8001:], "CD001")
	tests := []struct {
		name string
		kind detect.Kind
		in   []byte
	}{
		{"a.7z", detect.SevenZ, append([]byte("7z\xBC\xAF\x27\x1C\x00\x04"), make([]byte, 64)...)},
		{"a.rar", detect.RAR, append([]byte("Rar!\x1A\x07\x01\x00"), make([]byte, 64)...)},
		{"a.lzh", detect.LZH, append([]byte("\x20\x00-lh5-"), make([]byte, 64)...)},
		{"a.cab", detect.CAB, append([]byte("MSCF\x00\x00\x00\x00"), make([]byte, 64)...)},
		{"a.iso", detect.ISO, iso},
	}
	e := newEngine(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := sanitize(t, e, sanitizer.Input{Name: tt.name, Body: bytes.NewReader(tt.in)}).Report
			if rep.Detected != tt.kind || !rep.Withheld || len(rep.Reasons) == 0 {
				t.Fatalf("detected %s withheld %v", rep.Detected, rep.Withheld)
			}
			if r := rep.Reasons[0]; r.Code != sanitizer.ReasonArchiveKind || !strings.Contains(r.Detail, string(tt.kind)) {
				t.Errorf("reason %+v, want %s naming the format", r, sanitizer.ReasonArchiveKind)
			}
		})
	}
}

// TestEngineZipOutputTooLarge: a rebuilt zip larger than the output limit
// is withheld as too large, though each file in it fits.
func TestEngineZipOutputTooLarge(t *testing.T) {
	var files []string
	for i := 0; i < 20; i++ {
		// Text that does not compress, so the zip grows with it.
		var body strings.Builder
		for j := 0; j < 20; j++ {
			fmt.Fprintf(&body, "%x\n", sha256.Sum256([]byte{byte(i), byte(j)}))
		}
		files = append(files, fmt.Sprintf("%02d.txt", i), body.String())
	}
	e := newEngineWith(t, sanitizer.Policy{Limits: sanitizer.Limits{MaxOutputBytes: 8 << 10}}, Options{})
	rep := sanitize(t, e, sanitizer.Input{Name: "big.zip", Body: bytes.NewReader(testZip(t, files...))}).Report
	if !rep.Withheld || rep.Reasons[0].Code != sanitizer.ReasonTooLarge {
		t.Fatalf("withheld %v reasons %+v", rep.Withheld, rep.Reasons)
	}
}
