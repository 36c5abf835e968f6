package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"

	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
	"github.com/mugai-project/mugai/sanitizer/verify"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

var (
	sharedOnce sync.Once
	sharedPool *Pool
	sharedErr  error
)

// testPool returns a pool shared by the package's tests (the module compile
// is the slow part), with its compiled-module cache under the user cache
// dir so that repeated test runs start fast.
func testPool(t testing.TB) *Pool {
	t.Helper()
	sharedOnce.Do(func() {
		sharedPool, sharedErr = New(context.Background(), Options{Instances: 2, Logger: quietLogger()})
	})
	if sharedErr != nil {
		t.Fatalf("New: %v", sharedErr)
	}
	return sharedPool
}

// openTestDoc borrows an instance of p and opens pdf in it; done closes
// the document and gives the instance back, which the caller must do as
// soon as it is through: a test that holds instances to its end can
// leave none for its own renders.
func openTestDoc(t *testing.T, p *Pool, pdf []byte) (in *instance, doc references.FPDF_DOCUMENT, done func()) {
	t.Helper()
	in, err := p.acquire(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	doc, err = in.open(t.Context(), bytes.NewReader(pdf), int64(len(pdf)), "")
	if err != nil {
		in.release()
		t.Fatal(err)
	}
	return in, doc, func() {
		in.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc})
		in.release()
	}
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func TestMain(m *testing.M) {
	api.DisableConfigDir()
	code := m.Run()
	if sharedPool != nil {
		sharedPool.Close()
	}
	os.Exit(code)
}

func flatten(t *testing.T, p *Pool, in []byte, lim Limits) ([]byte, Stats) {
	t.Helper()
	var out bytes.Buffer
	st, err := p.Flatten(t.Context(), bytes.NewReader(in), int64(len(in)), &out, lim)
	if err != nil {
		t.Fatalf("Flatten: %v", err)
	}
	if st.BytesOut != int64(out.Len()) {
		t.Errorf("Stats.BytesOut = %d, wrote %d", st.BytesOut, out.Len())
	}
	return out.Bytes(), st
}

// assertImageOnlyPDF parses out with pdfcpu in strict mode and checks that
// it has pages pages, and that every object is the catalog, the page tree,
// a page whose resources hold only image XObjects, a content stream that
// only draws the image, or an image XObject: no fonts, no text, no
// annotations, no actions.
func assertImageOnlyPDF(t testing.TB, out []byte, pages int) {
	t.Helper()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationStrict
	ctx, err := api.ReadContext(bytes.NewReader(out), conf)
	if err != nil {
		t.Fatalf("pdfcpu read: %v", err)
	}
	if err := api.ValidateContext(ctx); err != nil {
		t.Fatalf("pdfcpu validate: %v", err)
	}
	if ctx.PageCount != pages {
		t.Errorf("page count = %d, want %d", ctx.PageCount, pages)
	}
	for nr, e := range ctx.Table {
		if nr == 0 || e.Free || e.Object == nil {
			continue
		}
		switch o := e.Object.(type) {
		case types.Dict:
			switch typ := o.NameEntry("Type"); {
			case typ != nil && (*typ == "Catalog" || *typ == "Pages"):
				for k := range o {
					if k != "Type" && k != "Pages" && k != "Kids" && k != "Count" {
						t.Errorf("object %d (%s) has key /%s", nr, *typ, k)
					}
				}
			case typ != nil && *typ == "Page":
				for k := range o {
					switch k {
					case "Type", "Parent", "MediaBox", "Resources", "Contents":
					default:
						t.Errorf("page object %d has key /%s", nr, k)
					}
				}
				res := o.DictEntry("Resources")
				for k := range res {
					if k != "XObject" {
						t.Errorf("page object %d has resource /%s", nr, k)
					}
				}
			default:
				t.Errorf("object %d: unexpected dict %v", nr, o)
			}
		case types.StreamDict:
			if st := o.NameEntry("Subtype"); st != nil && *st == "Image" {
				continue
			}
			if err := o.Decode(); err != nil {
				t.Errorf("object %d: %v", nr, err)
				continue
			}
			c := string(o.Content)
			if !strings.HasPrefix(c, "q ") || !strings.HasSuffix(c, " cm /Im0 Do Q\n") || strings.Contains(c, "BT") {
				t.Errorf("object %d: content stream %q", nr, c)
			}
		default:
			t.Errorf("object %d: unexpected %T", nr, o)
		}
	}
}

func TestFlattenTextPDFIsImageOnly(t *testing.T) {
	p := testPool(t)
	in := textPDF(t, 3)
	out, st := flatten(t, p, in, Limits{})
	assertImageOnlyPDF(t, out, 3)
	if st.Pages != 3 || st.Encodings[EncIndexed] != 3 {
		t.Errorf("stats = %+v", st)
	}
	if pdftotext, err := exec.LookPath("pdftotext"); err == nil {
		f := filepath.Join(t.TempDir(), "out.pdf")
		os.WriteFile(f, out, 0o644)
		txt, err := exec.Command(pdftotext, f, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		if s := strings.TrimSpace(string(txt)); s != "" {
			t.Errorf("output has text %q", s)
		}
	}
	// The flattened output renders again, at the same page size.
	var sizes []PageInfo
	if err := p.PageImages(t.Context(), bytes.NewReader(out), int64(len(out)), Limits{DPI: 72}, func(pg Page) error {
		sizes = append(sizes, pg.PageInfo)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(sizes) != 3 || int(sizes[0].WidthPt+0.5) != 595 || int(sizes[0].HeightPt+0.5) != 842 {
		t.Errorf("re-rendered pages %+v", sizes)
	}
}

func TestFlattenEncodingChoice(t *testing.T) {
	p := testPool(t)
	tests := []struct {
		name string
		pdf  []byte
		want Encoding
	}{
		{"text with a blue rule", textPDF(t, 1), EncIndexed},
		{"black text", japanesePDF(t, "UniJIS-UCS2-H"), EncG4},
		{"text on gray boxes", grayFillPDF(t), EncGray},
		{"photo", photoPDF(t), EncJPEG},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, st := flatten(t, p, tc.pdf, Limits{})
			if st.Encodings[tc.want] != 1 {
				t.Errorf("encodings = %v, want one %s", st.Encodings, tc.want)
			}
			assertImageOnlyPDF(t, out, 1)
		})
	}
}

func TestFlattenOutputSizeOnTextPDF(t *testing.T) {
	p := testPool(t)
	tests := []struct {
		name    string
		pdf     []byte
		perPage int // bytes a page at most
	}{
		// Measured: 27 KB (4-bit palette: a blue rule) and 57 KB (G4;
		// 117 KB as 2-bit gray) a dense A4 page.
		{"latin", textPDF(t, 4), 30_000},
		{"japanese", japaneseTextPDF(t, 4), 70_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, st := flatten(t, p, tc.pdf, Limits{})
			t.Logf("%d pages, in %d bytes, out %d bytes, ratio %.1f, encodings %v",
				st.Pages, len(tc.pdf), len(out), float64(len(out))/float64(len(tc.pdf)), st.Encodings)
			if perPage := len(out) / st.Pages; perPage > tc.perPage {
				t.Errorf("%d bytes a page, want at most %d", perPage, tc.perPage)
			}
		})
	}
}

func TestFlattenRotatedPageIsLandscape(t *testing.T) {
	p := testPool(t)
	out, _ := flatten(t, p, rotatedPDF(t), Limits{DPI: 72})
	assertImageOnlyPDF(t, out, 1)
	if !bytes.Contains(out, []byte("/MediaBox [0 0 841.89 595.28]")) {
		t.Errorf("output MediaBox is not the displayed (rotated) size")
	}
}

// TestFlattenAppliesPageUnits: a page with /UserUnit 3 comes out three
// times as large, in points and in pixels, looking as the page does; the
// page after it, without, keeps its size.
func TestFlattenAppliesPageUnits(t *testing.T) {
	p := testPool(t)
	in := pdftest.UserUnit(3).Bytes
	out, st := flatten(t, p, in, Limits{DPI: 72, PageUnits: []float64{3}})
	assertImageOnlyPDF(t, out, 2)
	if st.Pages != 2 || !bytes.Contains(out, []byte("/MediaBox [0 0 1785 2526]")) || !bytes.Contains(out, []byte("/MediaBox [0 0 595 842]")) {
		t.Fatalf("%d pages; want page 1 of 1785 × 2526 pt and page 2 of 595 × 842:\n%.600s", st.Pages, out)
	}
	// The first page, three times as large, drawn at a third of the
	// resolution, is the original page at 72 dpi.
	want := renderPages(t, p, in, 72)[0]
	got := renderPages(t, p, out, 24)[0]
	if got.Rect != want.Rect {
		t.Fatalf("output page 1 at 24 dpi is %v, the input's at 72 dpi %v", got.Rect, want.Rect)
	}
	if d := comparePages(shrink(want, 4), shrink(got, 4)); d.mean > 10 {
		t.Errorf("output page 1 differs from the input's by %.2f on average", d.mean)
	}
	if big := renderPages(t, p, out, 72)[0].Rect; big.Dx() != 1785 {
		t.Errorf("output page 1 at 72 dpi is %v, want 1785 pixels wide", big)
	}
}

// TestJapaneseNonEmbeddedFontRenders guards against the silent loss of
// Japanese text in fonts that the PDF does not embed.
func TestJapaneseNonEmbeddedFontRenders(t *testing.T) {
	p := testPool(t)
	if !p.HasCJKFonts() {
		t.Skip("no CJK font installed: apt-get install fonts-ipafont-gothic")
	}
	for _, enc := range []string{"90ms-RKSJ-H", "UniJIS-UCS2-H"} {
		t.Run(enc, func(t *testing.T) {
			in := japanesePDF(t, enc)
			dark := darkPixelsInTextArea(t, p, in, enc)
			// 11 glyphs of 40 pt at 150 dpi: thousands of dark pixels.
			if dark < 2000 {
				t.Errorf("%d dark pixels in the text area: Japanese text did not render", dark)
			}
		})
	}
}

// TestJapaneseBlankWithoutCJKFonts shows what the fallback fonts prevent,
// and that HasCJKFonts reports it.
func TestJapaneseBlankWithoutCJKFonts(t *testing.T) {
	p, err := New(t.Context(), Options{FontDirs: []string{}, Instances: 1, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.HasCJKFonts() {
		t.Fatal("HasCJKFonts true with no font dirs")
	}
	if dark := darkPixelsInTextArea(t, p, japanesePDF(t, "90ms-RKSJ-H"), "nofonts"); dark > 200 {
		t.Errorf("PDFium drew %d dark pixels without a CJK font: the fallback fonts may be found elsewhere than the sandbox", dark)
	}
}

// darkPixelsInTextArea renders the page of japanesePDF at 150 dpi, saves
// it as a PNG (in $MUGAI_RENDER_PNG_DIR if set, else a temp dir), and
// counts dark pixels in the band where the text is drawn.
func darkPixelsInTextArea(t *testing.T, p *Pool, in []byte, name string) int {
	t.Helper()
	dark := 0
	err := p.PageImages(t.Context(), bytes.NewReader(in), int64(len(in)), Limits{}, func(pg Page) error {
		dir := os.Getenv("MUGAI_RENDER_PNG_DIR")
		if dir == "" {
			dir = t.TempDir()
		}
		f, err := os.Create(filepath.Join(dir, "japanese-"+name+".png"))
		if err != nil {
			return err
		}
		defer f.Close()
		if err := png.Encode(f, pg.Image); err != nil {
			return err
		}
		// Text baseline at y=700 pt, 40 pt high, from x=72 pt.
		s := 150.0 / 72
		area := image.Rect(int(72*s), int((842-700-40)*s), int((72+11*40)*s), int((842-700+10)*s))
		for y := area.Min.Y; y < area.Max.Y; y++ {
			for x := area.Min.X; x < area.Max.X; x++ {
				if pg.Image.RGBAAt(x, y).R < 128 {
					dark++
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dark
}

func TestLimitsRefuseBeforeRendering(t *testing.T) {
	p := testPool(t)
	tests := []struct {
		name string
		pdf  []byte
		lim  Limits
		what string
	}{
		{"page-count bomb of 10000 pages", manyPagesPDF(t, 10000), Limits{}, "pages"},
		{"giant MediaBox", bigPagePDF(t, 14400, 14400), Limits{}, "page pixels"},
		{"pages over a set limit", textPDF(t, 3), Limits{MaxPages: 2}, "pages"},
		{"input bytes", textPDF(t, 1), Limits{MaxInputBytes: 100}, "input bytes"},
		{"dpi", textPDF(t, 1), Limits{DPI: 5000}, "dpi"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rendered := false
			err := p.PageImages(t.Context(), bytes.NewReader(tc.pdf), int64(len(tc.pdf)), tc.lim, func(Page) error {
				rendered = true
				return nil
			})
			var le *LimitError
			if !errors.As(err, &le) || le.What != tc.what {
				t.Fatalf("err = %v, want LimitError %q", err, tc.what)
			}
			if rendered {
				t.Error("a page was rendered before the limit was checked")
			}
			var out bytes.Buffer
			_, err = p.Flatten(t.Context(), bytes.NewReader(tc.pdf), int64(len(tc.pdf)), &out, tc.lim)
			if !errors.As(err, &le) {
				t.Fatalf("Flatten err = %v", err)
			}
			if out.Len() != 0 {
				t.Errorf("Flatten wrote %d bytes before refusing", out.Len())
			}
		})
	}
}

func TestPageCount(t *testing.T) {
	p := testPool(t)
	in := textPDF(t, 4)
	n, err := p.PageCount(t.Context(), bytes.NewReader(in), int64(len(in)), Limits{})
	if err != nil || n != 4 {
		t.Fatalf("PageCount = %d, %v", n, err)
	}
}

func TestEncryptedPDFNeedsPassword(t *testing.T) {
	qpdf, err := exec.LookPath("qpdf")
	if err != nil {
		t.Skip("qpdf not installed: apt-get install qpdf")
	}
	dir := t.TempDir()
	plain, enc := filepath.Join(dir, "plain.pdf"), filepath.Join(dir, "enc.pdf")
	os.WriteFile(plain, textPDF(t, 1), 0o644)
	if out, err := exec.Command(qpdf, "--encrypt", "user-secret", "owner-secret", "256", "--", plain, enc).CombinedOutput(); err != nil {
		t.Fatalf("qpdf: %v %s", err, out)
	}
	in, _ := os.ReadFile(enc)
	_, err = testPool(t).Flatten(t.Context(), bytes.NewReader(in), int64(len(in)), io.Discard, Limits{})
	if !errors.Is(err, ErrEncrypted) {
		t.Fatalf("err = %v, want ErrEncrypted", err)
	}
	_, err = testPool(t).Flatten(t.Context(), bytes.NewReader(in), int64(len(in)), io.Discard, Limits{Password: "wrong"})
	if !errors.Is(err, ErrEncrypted) {
		t.Fatalf("wrong password: err = %v, want ErrEncrypted", err)
	}
	st, err := testPool(t).Flatten(t.Context(), bytes.NewReader(in), int64(len(in)), io.Discard, Limits{Password: "user-secret"})
	if err != nil || st.Pages != 1 || !st.Encrypted {
		t.Fatalf("with the password: %+v, %v", st, err)
	}
}

func TestMalformedPDF(t *testing.T) {
	p := testPool(t)
	for name, in := range map[string][]byte{
		"garbage":   []byte("this is not a PDF at all"),
		"truncated": textPDF(t, 2)[:200],
		"html":      []byte("<html><body>%PDF-1.7</body></html>"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := p.Flatten(t.Context(), bytes.NewReader(in), int64(len(in)), io.Discard, Limits{})
			if err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// TestDeadlineStopsRenderBomb: a document whose pages are slow to render
// is stopped by the deadline, and the pool goes on rendering afterwards
// with fresh instances.
func TestDeadlineStopsRenderBomb(t *testing.T) {
	p := testPool(t)
	in := heavyPDF(t, 50, 100_000)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	_, err := p.Flatten(ctx, bytes.NewReader(in), int64(len(in)), &out, Limits{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	// Both instances still work.
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok := textPDF(t, 2)
			if _, err := p.Flatten(t.Context(), bytes.NewReader(ok), int64(len(ok)), io.Discard, Limits{}); err != nil {
				t.Errorf("after deadline: %v", err)
			}
		}()
	}
	wg.Wait()
}

func TestCallbackErrorStops(t *testing.T) {
	p := testPool(t)
	in := textPDF(t, 6)
	stop := errors.New("enough")
	calls := 0
	err := p.PageImages(t.Context(), bytes.NewReader(in), int64(len(in)), Limits{DPI: 50}, func(pg Page) error {
		calls++
		if pg.Index != calls-1 {
			t.Errorf("page %d delivered as call %d", pg.Index, calls)
		}
		if calls == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 2 {
		t.Fatalf("err = %v after %d calls", err, calls)
	}
}

// TestMemoryCapStopsBitmapBomb: a page within the pixel limit but whose
// bitmap exceeds the instance's memory cap fails cleanly.
func TestMemoryCapStopsBitmapBomb(t *testing.T) {
	p, err := New(t.Context(), Options{Instances: 1, MemoryLimitBytes: 64 << 20, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	in := bigPagePDF(t, 3000, 3000) // 6250² px at 150 dpi: 156 MB of RGBA
	_, err = p.Flatten(t.Context(), bytes.NewReader(in), int64(len(in)), io.Discard, Limits{})
	if err == nil {
		t.Fatal("rendered a 156 MB bitmap under a 64 MiB cap")
	}
	ok := textPDF(t, 1)
	if _, err := p.Flatten(t.Context(), bytes.NewReader(ok), int64(len(ok)), io.Discard, Limits{}); err != nil {
		t.Fatalf("after the failed page: %v", err)
	}
}

// TestSandboxMountsOnlyFonts checks the folder that is the module's whole
// filesystem: font files under usr/share/fonts and nothing else.
func TestSandboxMountsOnlyFonts(t *testing.T) {
	p := testPool(t)
	err := filepath.WalkDir(p.fontRoot, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(p.fontRoot, path)
		if d.IsDir() {
			if !strings.HasPrefix("usr/share/fonts", rel) && rel != "." {
				t.Errorf("unexpected folder %s", rel)
			}
			return nil
		}
		if filepath.Dir(rel) != "usr/share/fonts" || !isFontFile(d.Name()) {
			t.Errorf("unexpected file %s", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestStreamingReaderInput uses a ReadSeeker that is not a ReaderAt.
func TestStreamingReaderInput(t *testing.T) {
	p := testPool(t)
	in := textPDF(t, 4)
	f := filepath.Join(t.TempDir(), "in.pdf")
	os.WriteFile(f, in, 0o644)
	fh, err := os.Open(f)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out bytes.Buffer
	st, err := p.Flatten(t.Context(), struct{ io.ReadSeeker }{fh}, int64(len(in)), &out, Limits{DPI: 72})
	if err != nil || st.Pages != 4 {
		t.Fatalf("Flatten = %+v, %v", st, err)
	}
	assertImageOnlyPDF(t, out.Bytes(), 4)
}

// TestStaleFontFoldersRemoved: a process killed before Pool.Close leaves its
// font folder; the next New removes it.
func TestStaleFontFoldersRemoved(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	dir := t.TempDir()
	stale := filepath.Join(dir, fmt.Sprintf("fontroot-%d-123", cmd.Process.Pid))
	if err := os.MkdirAll(filepath.Join(stale, "usr"), 0o755); err != nil {
		t.Fatal(err)
	}
	root, _, err := buildFontRoot(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(root)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale font folder still there: %v", err)
	}
	if _, err := os.Stat(root); err != nil {
		t.Errorf("new font folder: %v", err)
	}
}

// TestConcurrentDocuments flattens several documents at once on a pool of
// two instances: each gets complete output with its own pages in order.
func TestConcurrentDocuments(t *testing.T) {
	p := testPool(t)
	outs := make([]bytes.Buffer, 5)
	var wg sync.WaitGroup
	for n := 1; n <= 4; n++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := textPDF(t, n)
			st, err := p.Flatten(t.Context(), bytes.NewReader(in), int64(len(in)), &outs[n], Limits{DPI: 50})
			if err != nil || st.Pages != n {
				t.Errorf("%d pages: flattened %d, %v", n, st.Pages, err)
			}
		}()
	}
	wg.Wait()
	for n := 1; n <= 4; n++ {
		assertImageOnlyPDF(t, outs[n].Bytes(), n)
	}
}

// TestFlattenedG4PassesVerify runs the engine's output check on a
// flattened page stored as CCITTFaxDecode.
func TestFlattenedG4PassesVerify(t *testing.T) {
	p := testPool(t)
	out, st := flatten(t, p, japanesePDF(t, "UniJIS-UCS2-H"), Limits{})
	if st.Encodings[EncG4] != 1 {
		t.Fatalf("encodings = %v, want one %s", st.Encodings, EncG4)
	}
	f, err := verify.PDF(t.Context(), bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatalf("verify.PDF: %v", err)
	}
	if f.Streams == 0 {
		t.Errorf("verify.PDF scanned no stream")
	}
}

// TestFlattenHostilePDFsKeepOnlyImages flattens each attack fixture
// (scripts, launch actions, embedded files, forms, ...): either Flatten
// refuses it, or the output is image pages only, as many as the input's,
// and passes the engine's output check.
func TestFlattenHostilePDFsKeepOnlyImages(t *testing.T) {
	p := testPool(t)
	for _, f := range pdftest.Hostile() {
		t.Run(f.Name, func(t *testing.T) {
			var out bytes.Buffer
			if _, err := p.Flatten(t.Context(), bytes.NewReader(f.Bytes), int64(len(f.Bytes)), &out, Limits{DPI: 36}); err != nil {
				t.Logf("refused: %v", err)
				return
			}
			assertImageOnlyPDF(t, out.Bytes(), f.Pages)
			if _, err := verify.PDF(t.Context(), bytes.NewReader(out.Bytes()), int64(out.Len())); err != nil {
				t.Errorf("verify.PDF: %v", err)
			}
		})
	}
}
