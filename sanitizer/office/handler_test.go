package office

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/mugai-project/mugai/internal/enginetest"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// newEngine builds an engine with the office handlers for hopts, beside
// those of the formats a conversion meets. Without a Flattener in hopts,
// converted documents go to a real renderer.
func newEngine(t *testing.T, pol sanitizer.Policy, hopts HandlerOptions) *sanitizer.Engine {
	t.Helper()
	if hopts.Flattener == nil {
		hopts.Flattener = enginetest.Renderer(t)
	}
	return enginetest.New(t, sanitizer.Options{
		Policy:    pol,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Handlers:  Handlers(hopts),
		Verifiers: VerifiersFor(hopts),
	}, hopts.Flattener)
}

func sanitize(t *testing.T, e *sanitizer.Engine, name string, body []byte) *sanitizer.Result {
	t.Helper()
	res, err := e.Sanitize(context.Background(), sanitizer.Input{Name: name, Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	return res
}

func TestHandlerDisarmsMacroDocument(t *testing.T) {
	e := newEngine(t, sanitizer.Policy{}, HandlerOptions{})
	in := hostileDOCM(t)
	res := sanitize(t, e, "見積書.docm", in)
	rep := res.Report
	if rep.Withheld || len(res.Outputs) != 1 {
		t.Fatalf("withheld %v reasons %+v outputs %d", rep.Withheld, rep.Reasons, len(res.Outputs))
	}
	o := res.Outputs[0]
	if o.Name != "見積書.docx" || o.Kind != detect.DOCX {
		t.Errorf("output %q kind %s", o.Name, o.Kind)
	}
	b, _ := io.ReadAll(o.Open())
	if bytes.Equal(b, in) {
		t.Fatal("output is the input")
	}
	if f := forbiddenIn(t, b); len(f) > 0 {
		t.Errorf("forbidden content: %v", f)
	}
	got := map[string]int{}
	for _, r := range rep.Removed {
		got[r.What] = r.Count
	}
	if got["macro"] == 0 || got["dde"] == 0 || got["ole"] == 0 {
		t.Errorf("report removed %v", rep.Removed)
	}
}

// cfb builds a minimal compound file ([MS-CFB]) holding empty streams
// with the given names: enough for the directory reader.
func cfb(names ...string) []byte {
	const ss = 512
	b := make([]byte, 3*ss) // header, FAT sector 0, directory sector 1
	copy(b, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
	le := binary.LittleEndian
	le.PutUint16(b[0x18:], 0x3E)
	le.PutUint16(b[0x1A:], 3)
	le.PutUint16(b[0x1C:], 0xFFFE)
	le.PutUint16(b[0x1E:], 9)
	le.PutUint16(b[0x20:], 6)
	le.PutUint32(b[0x2C:], 1)          // FAT sectors
	le.PutUint32(b[0x30:], 1)          // first directory sector
	le.PutUint32(b[0x38:], 4096)       // mini stream cutoff
	le.PutUint32(b[0x3C:], 0xFFFFFFFE) // no mini FAT
	le.PutUint32(b[0x44:], 0xFFFFFFFE) // no DIFAT chain
	for i := 0; i < 109; i++ {
		le.PutUint32(b[0x4C+4*i:], 0xFFFFFFFF)
	}
	le.PutUint32(b[0x4C:], 0) // FAT in sector 0
	fat := b[ss : 2*ss]
	for i := 0; i < ss/4; i++ {
		le.PutUint32(fat[4*i:], 0xFFFFFFFF)
	}
	le.PutUint32(fat[0:], 0xFFFFFFFD)
	le.PutUint32(fat[4:], 0xFFFFFFFE)
	dir := b[2*ss:]
	for i, n := range append([]string{"Root Entry"}, names...) {
		if i >= 4 {
			break
		}
		e := dir[i*128 : (i+1)*128]
		u := utf16.Encode([]rune(n))
		for j, c := range u {
			le.PutUint16(e[2*j:], c)
		}
		le.PutUint16(e[0x40:], uint16(2*len(u)+2))
		e[0x42] = 2
		if i == 0 {
			e[0x42] = 5
		}
		le.PutUint32(e[0x74:], 0xFFFFFFFE)
	}
	return b
}

func TestInspectOLE2(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("testdata", "clean.doc"))
	if err != nil {
		t.Fatal(err)
	}
	xls, _ := os.ReadFile(filepath.Join("testdata", "clean.xls"))
	for _, tc := range []struct {
		name      string
		in        []byte
		ext       string
		encrypted bool
		macros    bool
		fails     bool
	}{
		{"doc", doc, ".doc", false, false, false},
		{"xls", xls, ".xls", false, false, false},
		{"encrypted-ooxml", cfb("EncryptionInfo", "EncryptedPackage"), "", true, false, false},
		{"doc-with-macros", cfb("WordDocument", "Macros", "1Table"), ".doc", false, true, false},
		{"msg", cfb("__properties_version1.0"), "", false, false, false},
		{"garbage", append([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), bytes.Repeat([]byte{0xFF}, 4096)...), "", false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := InspectOLE2(bytes.NewReader(tc.in), int64(len(tc.in)))
			if (err != nil) != tc.fails {
				t.Fatalf("err = %v", err)
			}
			if info.Ext != tc.ext || info.Encrypted != tc.encrypted || info.Macros != tc.macros {
				t.Errorf("info %+v", info)
			}
		})
	}
}

// TestHandlerHoldsEncryptedOOXML: a password-protected Word file (an OLE2
// EncryptedPackage) is held, not blocked, so that it can be released.
func TestHandlerHoldsEncryptedOOXML(t *testing.T) {
	e := newEngine(t, sanitizer.Policy{}, HandlerOptions{})
	res := sanitize(t, e, "見積書.docx", cfb("EncryptionInfo", "EncryptedPackage"))
	rep := res.Report
	if !rep.Withheld || rep.Action != sanitizer.Hold || len(rep.Reasons) == 0 || rep.Reasons[0].Code != sanitizer.ReasonEncrypted {
		t.Fatalf("report %+v", rep)
	}
}

// TestHandlerWithholdsWithoutLibreOffice: with no converter the legacy
// kinds and flatten-only OOXML are withheld with a reason, never passed;
// "both" still delivers the disarmed document, with a note.
func TestHandlerWithholdsWithoutLibreOffice(t *testing.T) {
	pol := sanitizer.Policy{Actions: map[detect.Kind]sanitizer.Action{detect.DOCX: sanitizer.Flatten, detect.DOCM: sanitizer.Both}}
	e := newEngine(t, pol, HandlerOptions{Convert: ConvertOptions{Soffice: "/nonexistent/soffice"}})
	odt, _ := os.ReadFile(filepath.Join("testdata", "clean.odt"))
	for name, in := range map[string][]byte{"議事録.odt": odt, "予算.docx": cleanDOCX(t)} {
		res := sanitize(t, e, name, in)
		rep := res.Report
		if !rep.Withheld || len(res.Outputs) != 0 || rep.Reasons[0].Code != sanitizer.ReasonNoHandler {
			t.Errorf("%s: report %+v", name, rep)
		}
	}
	res := sanitize(t, e, "見積書.docm", hostileDOCM(t))
	if res.Report.Withheld || len(res.Outputs) != 1 || res.Outputs[0].Kind != detect.DOCX || len(res.Report.Notes) == 0 {
		t.Errorf("both without LibreOffice: withheld %v outputs %d notes %q", res.Report.Withheld, len(res.Outputs), res.Report.Notes)
	}
}

// fakeFlattener stands in for the renderer: it checks it was given a PDF
// and writes a one-page PDF of its own.
type fakeFlattener struct{ called int }

func (f *fakeFlattener) FlattenPDF(ctx context.Context, job *sanitizer.Job, r io.ReadSeeker, size int64, name string, _ []float64) error {
	f.called++
	head := make([]byte, 5)
	if _, err := io.ReadFull(r, head); err != nil || string(head) != "%PDF-" {
		return sanitizer.Withhold(sanitizer.ReasonMalformed, err)
	}
	out := job.CreateNamed(name, detect.PDF)
	_, err := out.Write(minimalPDF)
	return err
}

var minimalPDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n" +
	"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n163\n%%EOF\n")

// TestHandlerBoth: the "both" policy delivers the disarmed document and
// its flattened PDF side by side; legacy .doc goes through LibreOffice.
func TestHandlerBoth(t *testing.T) {
	needSandbox(t, true)
	if testing.Short() {
		t.Skip("LibreOffice conversions take seconds each")
	}
	ff := &fakeFlattener{}
	e := newEngine(t, sanitizer.Policy{Actions: map[detect.Kind]sanitizer.Action{detect.DOCM: sanitizer.Both}},
		HandlerOptions{Flattener: ff, Convert: ConvertOptions{TempDir: t.TempDir()}})
	res := sanitize(t, e, "見積書.docm", hostileDOCM(t))
	if res.Report.Withheld {
		t.Fatalf("withheld: %+v", res.Report.Reasons)
	}
	var names []string
	for _, o := range res.Outputs {
		names = append(names, o.Name)
	}
	if strings.Join(names, ",") != "見積書.docx,見積書.pdf" || ff.called != 1 {
		t.Errorf("outputs %v, flattener called %d", names, ff.called)
	}
}

// TestHandlerFlattensLegacyDoc: a .doc goes through LibreOffice in the
// sandbox and the engine's renderer, and comes out as an image-only PDF
// (with the text layer off, no text: only pixels cross; by default its
// invisible text layer carries the document's text).
func TestHandlerFlattensLegacyDoc(t *testing.T) {
	needSandbox(t, true)
	if testing.Short() || raceEnabled {
		t.Skip("LibreOffice and the WebAssembly renderer take too long in -short or -race runs")
	}
	doc, err := os.ReadFile(filepath.Join("testdata", "clean.doc"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, sanitizer.Policy{}, HandlerOptions{Convert: ConvertOptions{TempDir: t.TempDir()}})
	res := sanitize(t, e, "議事録.doc", doc)
	if res.Report.Withheld || len(res.Outputs) != 1 {
		t.Fatalf("withheld %v: %+v", res.Report.Withheld, res.Report.Reasons)
	}
	b, _ := io.ReadAll(res.Outputs[0].Open())
	layered := filepath.Join(t.TempDir(), "layered.pdf")
	os.WriteFile(layered, b, 0o600)
	if text := pdfText(t, layered); !strings.Contains(text, "令和7年度予算書") {
		t.Errorf("the default text layer lacks the document's text: %q", text)
	}

	e = newEngine(t, sanitizer.Policy{PDF: sanitizer.PDFPolicy{TextLayer: "off"}}, HandlerOptions{Convert: ConvertOptions{TempDir: t.TempDir()}})
	res = sanitize(t, e, "議事録.doc", doc)
	if res.Report.Withheld || len(res.Outputs) != 1 {
		t.Fatalf("withheld %v: %+v", res.Report.Withheld, res.Report.Reasons)
	}
	o := res.Outputs[0]
	if o.Name != "議事録.pdf" || o.Kind != detect.PDF {
		t.Errorf("output %q kind %s", o.Name, o.Kind)
	}
	path := filepath.Join(t.TempDir(), "out.pdf")
	b, _ = io.ReadAll(o.Open())
	os.WriteFile(path, b, 0o600)
	if text := pdfText(t, path); text != "" {
		t.Errorf("the flattened PDF has a text layer: %q", text)
	}
}

// TestLibreOfficeNeverRunsUnsandboxed: when bubblewrap or prlimit is
// missing, or bubblewrap refuses to start, the item is withheld and the
// converter is never started at all, sandboxed or not. The stand-in
// converter would leave a mark and write a PDF if it ran.
func TestLibreOfficeNeverRunsUnsandboxed(t *testing.T) {
	dir := t.TempDir()
	mark := filepath.Join(dir, "soffice-ran")
	soffice := filepath.Join(dir, "soffice")
	script := "#!/bin/sh\ntouch " + mark + "\nprintf '%%PDF-1.4\\n' > /work/out/input.pdf\n"
	if err := os.WriteFile(soffice, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	refusing := filepath.Join(dir, "bwrap")
	if err := os.WriteFile(refusing, []byte("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := map[string]ConvertOptions{
		"bwrap missing":   {Soffice: soffice, Bwrap: filepath.Join(dir, "no-bwrap")},
		"prlimit missing": {Soffice: soffice, Prlimit: filepath.Join(dir, "no-prlimit")},
		"bwrap refuses":   {Soffice: soffice, Bwrap: refusing},
	}
	odt, err := os.ReadFile(filepath.Join("testdata", "clean.odt"))
	if err != nil {
		t.Fatal(err)
	}
	for name, copts := range cases {
		t.Run(name, func(t *testing.T) {
			if copts.Prlimit == "" {
				if _, err := exec.LookPath("prlimit"); err != nil {
					t.Skip("needs Debian package util-linux (prlimit)")
				}
			}
			pol := sanitizer.Policy{Actions: map[detect.Kind]sanitizer.Action{detect.DOCX: sanitizer.Flatten}}
			e := newEngine(t, pol, HandlerOptions{Convert: copts, Flattener: &fakeFlattener{}})
			for file, in := range map[string][]byte{"議事録.odt": odt, "予算.docx": cleanDOCX(t)} {
				res := sanitize(t, e, file, in)
				rep := res.Report
				if !rep.Withheld || len(res.Outputs) != 0 || len(rep.Reasons) == 0 || rep.Reasons[0].Code != sanitizer.ReasonNoHandler {
					t.Errorf("%s: report %+v, outputs %d", file, rep, len(res.Outputs))
				}
				if _, err := os.Stat(mark); err == nil {
					t.Fatalf("%s: the converter ran outside the sandbox", file)
				}
			}
		})
	}
}
