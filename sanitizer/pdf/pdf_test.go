package pdf_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	pdfcpu "github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
	"github.com/mugai-project/mugai/sanitizer/verify"
)

func allFixtures() []pdftest.Fixture {
	return append([]pdftest.Fixture{pdftest.Clean()}, pdftest.Hostile()...)
}

func disarm(t testing.TB, in []byte, opts pdf.DisarmOptions) ([]byte, pdf.Removed) {
	t.Helper()
	var out bytes.Buffer
	removed, err := pdf.Disarm(context.Background(), bytes.NewReader(in), &out, opts)
	if err != nil {
		t.Fatalf("Disarm: %v", err)
	}
	return out.Bytes(), removed
}

// readOut parses a disarmed output with pdfcpu for the assertions.
func readOut(t *testing.T, b []byte) *model.Context {
	t.Helper()
	conf := &model.Configuration{Reader15: true, ValidationMode: model.ValidationRelaxed, Eol: types.EolLF,
		Limits: model.DefaultResourceLimits()}
	pc, err := pdfcpu.Read(bytes.NewReader(b), conf)
	if err != nil {
		t.Fatalf("output does not parse: %v", err)
	}
	return pc
}

// pageContents returns the decoded content streams of each page.
func pageContents(t *testing.T, pc *model.Context) []string {
	t.Helper()
	if err := pc.EnsurePageCount(); err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := 1; i <= pc.PageCount; i++ {
		d, _, _, err := pc.PageDict(i, false)
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		var refs []types.Object
		switch c := d["Contents"].(type) {
		case types.Array:
			refs = c
		default:
			refs = []types.Object{c}
		}
		var s strings.Builder
		for _, r := range refs {
			sd, _, err := pc.DereferenceStreamDict(r)
			if err != nil || sd == nil {
				t.Fatalf("page %d contents: %v", i, err)
			}
			if err := sd.Decode(); err != nil {
				t.Fatalf("page %d contents decode: %v", i, err)
			}
			s.Write(sd.Content)
		}
		out = append(out, s.String())
	}
	return out
}

// allDecoded returns the raw file and every decoded stream of it.
func allDecoded(t *testing.T, pc *model.Context, raw []byte) [][]byte {
	t.Helper()
	all := [][]byte{raw}
	for _, e := range pc.Table {
		if e == nil || e.Free {
			continue
		}
		if sd, ok := e.Object.(types.StreamDict); ok {
			if err := sd.Decode(); err == nil {
				all = append(all, sd.Content)
			}
		}
	}
	return all
}

func wantRemoved(f pdftest.Fixture, links string) map[string]int {
	if links == pdf.LinksKeep && f.RemovedKeepLinks != nil {
		return f.RemovedKeepLinks
	}
	return f.Removed
}

// TestDisarmFixtures runs every clean and hostile fixture through Disarm
// under both link policies and asserts: the output passes verify.PDF, the
// removed counts are exact, the page count and each page's text operators
// survive, and older revisions' content is gone.
func TestDisarmFixtures(t *testing.T) {
	for _, f := range allFixtures() {
		for _, links := range []string{pdf.LinksRemove, pdf.LinksKeep} {
			t.Run(f.Name+"/links="+links, func(t *testing.T) {
				out, removed := disarm(t, f.Bytes, pdf.DisarmOptions{Links: links})
				if _, err := (verify.PDFOptions{AllowURI: links == pdf.LinksKeep}).Check(context.Background(), bytes.NewReader(out), int64(len(out))); err != nil {
					t.Errorf("disarmed output fails verify: %v", err)
				}
				if want := wantRemoved(f, links); !maps.Equal(map[string]int(removed), want) {
					t.Errorf("removed = %v, want %v", removed, want)
				}
				pc := readOut(t, out)
				contents := pageContents(t, pc)
				if len(contents) != f.Pages {
					t.Fatalf("output has %d pages, want %d", len(contents), f.Pages)
				}
				for i, frags := range f.Text {
					for _, frag := range frags {
						if !strings.Contains(contents[i], frag) {
							t.Errorf("page %d lost %q; content:\n%s", i+1, frag, contents[i])
						}
					}
				}
				for _, gone := range f.Gone {
					for _, b := range allDecoded(t, pc, out) {
						if bytes.Contains(b, []byte(gone)) {
							t.Errorf("output still holds %q from an older revision", gone)
						}
					}
				}
				if bytes.Equal(out, f.Bytes) {
					t.Error("output is a byte copy of the input")
				}
			})
		}
	}
}

// TestDisarmURILinkPolicy asserts that a kept URI link survives as a URI
// action and a removed one leaves no /URI in the output.
func TestDisarmURILinkPolicy(t *testing.T) {
	f := hostile(t, "URILink")
	keep, _ := disarm(t, f.Bytes, pdf.DisarmOptions{Links: pdf.LinksKeep})
	remove, _ := disarm(t, f.Bytes, pdf.DisarmOptions{})
	if _, err := verify.PDF(context.Background(), bytes.NewReader(keep), int64(len(keep))); err == nil {
		t.Error("verify.PDF without AllowURI accepted a kept URI link")
	}
	pcKeep, pcRemove := readOut(t, keep), readOut(t, remove)
	if !anyDecodedContains(t, pcKeep, keep, "https://phish.example/login") {
		t.Error("links=keep lost the URI")
	}
	if anyDecodedContains(t, pcRemove, remove, "phish.example") {
		t.Error("links=remove kept the URI")
	}
	if !anyDecodedContains(t, pcRemove, remove, "a harmless note") {
		t.Error("links=remove dropped the harmless Text annotation")
	}
}

func anyDecodedContains(t *testing.T, pc *model.Context, raw []byte, s string) bool {
	t.Helper()
	for _, b := range allDecoded(t, pc, raw) {
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	// Objects inside object streams.
	for _, e := range pc.Table {
		if e != nil && !e.Free && e.Object != nil && strings.Contains(e.Object.String(), s) {
			return true
		}
	}
	return false
}

// TestDisarmKeepsSafeNavigation asserts that an outline's GoTo action
// survives while the script chained to it (/Next) is cut, and that even a
// plain destination /OpenAction goes (the output check refuses the key).
func TestDisarmKeepsSafeNavigation(t *testing.T) {
	f := hostile(t, "OutlineGoToWithScriptInNext")
	out, _ := disarm(t, f.Bytes, pdf.DisarmOptions{})
	pc := readOut(t, out)
	root, err := pc.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := root["OpenAction"]; ok {
		t.Error("OpenAction kept")
	}
	outlines, err := pc.DereferenceDict(root["Outlines"])
	if err != nil || outlines == nil {
		t.Fatalf("outlines lost: %v", err)
	}
	item, err := pc.DereferenceDict(outlines["First"])
	if err != nil || item == nil {
		t.Fatalf("outline item lost: %v", err)
	}
	a, err := pc.DereferenceDict(item["A"])
	if err != nil || a == nil || a["S"] != types.Name("GoTo") || a["Next"] != nil {
		t.Errorf("outline action = %v, want a GoTo without /Next", a)
	}
}

// TestInspect asserts page count, sizes and findings.
func TestInspect(t *testing.T) {
	for _, f := range allFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			info, err := pdf.Inspect(context.Background(), bytes.NewReader(f.Bytes), pdf.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if info.Pages != f.Pages || len(info.PageSizes) != f.Pages {
				t.Errorf("pages = %d (%d sizes), want %d", info.Pages, len(info.PageSizes), f.Pages)
			}
			if info.PageSizes[0] != (pdf.PageSize{Width: 595, Height: 842, Unit: 1}) {
				t.Errorf("page 1 size = %v, want A4 595x842", info.PageSizes[0])
			}
			got := map[string]int{}
			for _, fd := range info.Findings {
				got[fd.Category] = fd.Count
			}
			if !maps.Equal(got, f.Removed) {
				t.Errorf("findings = %v, want %v", got, f.Removed)
			}
			if f.Hostile != (len(info.Findings) > 0) {
				t.Errorf("hostile=%v but findings %v", f.Hostile, info.Findings)
			}
		})
	}
}

func encrypt(t *testing.T, in []byte, userPW, ownerPW string) []byte {
	t.Helper()
	out, err := pdftest.Encrypt(in, userPW, ownerPW)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEncryptedWithUserPasswordIsHeld asserts that a PDF needing a user
// password yields ErrEncrypted with UserPassword set, from both Inspect
// and Disarm, and that Disarm writes nothing.
func TestEncryptedWithUserPasswordIsHeld(t *testing.T) {
	enc := encrypt(t, pdftest.Clean().Bytes, "secret", "owner")
	var out bytes.Buffer
	_, err := pdf.Disarm(context.Background(), bytes.NewReader(enc), &out, pdf.DisarmOptions{})
	var ee *pdf.EncryptedError
	if !errors.Is(err, pdf.ErrEncrypted) || !errors.As(err, &ee) || !ee.UserPassword {
		t.Fatalf("Disarm err = %v, want EncryptedError{UserPassword: true}", err)
	}
	if out.Len() != 0 {
		t.Error("Disarm wrote output for an encrypted input")
	}
	if _, err := pdf.Inspect(context.Background(), bytes.NewReader(enc), pdf.Limits{}); !errors.Is(err, pdf.ErrEncrypted) {
		t.Errorf("Inspect err = %v, want ErrEncrypted", err)
	}
	if _, err := verify.PDF(context.Background(), bytes.NewReader(enc), int64(len(enc))); err == nil {
		t.Error("verify.PDF accepted an encrypted file")
	}
}

// TestEncryptedOwnerOnlyIsDecrypted asserts that a file that opens with
// the empty user password is disarmed into an unencrypted output.
func TestEncryptedOwnerOnlyIsDecrypted(t *testing.T) {
	enc := encrypt(t, pdftest.Hostile()[0].Bytes, "", "owner")
	if _, err := verify.PDF(context.Background(), bytes.NewReader(enc), int64(len(enc))); err == nil {
		t.Error("verify.PDF accepted an encrypted file")
	}
	info, err := pdf.Inspect(context.Background(), bytes.NewReader(enc), pdf.Limits{})
	if err != nil || !info.Encrypted || !info.Has("javascript") {
		t.Fatalf("Inspect = %+v, %v; want encrypted with javascript", info, err)
	}
	out, removed := disarm(t, enc, pdf.DisarmOptions{})
	if removed["javascript"] != 1 {
		t.Errorf("removed = %v", removed)
	}
	if _, err := verify.PDF(context.Background(), bytes.NewReader(out), int64(len(out))); err != nil {
		t.Errorf("output fails verify: %v", err)
	}
}

// TestBrokenXRefIsRepaired asserts that a file whose xref offsets are all
// wrong (bytes inserted after the header, as by a careless mail gateway)
// is repaired by pdfcpu's relaxed reader and disarmed, and that a file
// with no usable xref and no objects fails.
func TestBrokenXRefIsRepaired(t *testing.T) {
	in := pdftest.Hostile()[0].Bytes
	hdr := bytes.IndexByte(in, '\n') + 1
	broken := append(append(append([]byte(nil), in[:hdr]...), "% inserted line shifts every offset\n"...), in[hdr:]...)
	out, removed := disarm(t, broken, pdf.DisarmOptions{})
	if removed["javascript"] != 1 || removed["openaction"] != 1 {
		t.Errorf("removed = %v", removed)
	}
	if _, err := verify.PDF(context.Background(), bytes.NewReader(out), int64(len(out))); err != nil {
		t.Errorf("output fails verify: %v", err)
	}
	hopeless := []byte("%PDF-1.7\nxref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size 1 /Root 1 0 R >>\nstartxref\n9\n%%EOF\n")
	var buf bytes.Buffer
	if _, err := pdf.Disarm(context.Background(), bytes.NewReader(hopeless), &buf, pdf.DisarmOptions{}); err == nil {
		t.Error("Disarm accepted a file without a catalog")
	}
}

// TestDisarmRejects asserts fail-closed errors: garbage, limits, a
// cancelled context, a bad option.
func TestDisarmRejects(t *testing.T) {
	clean := pdftest.Clean().Bytes
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		in   []byte
		opts pdf.DisarmOptions
		is   error
	}{
		{"NotAPDF", context.Background(), []byte("hello, world"), pdf.DisarmOptions{}, nil},
		{"Empty", context.Background(), nil, pdf.DisarmOptions{}, nil},
		{"TooManyBytes", context.Background(), clean, pdf.DisarmOptions{Limits: pdf.Limits{MaxBytes: 100}}, pdf.ErrLimit},
		{"TooManyPages", context.Background(), clean, pdf.DisarmOptions{Limits: pdf.Limits{MaxPages: 2}}, pdf.ErrLimit},
		{"TooManyObjects", context.Background(), clean, pdf.DisarmOptions{Limits: pdf.Limits{MaxObjects: 5}}, nil},
		{"Cancelled", cancelled, clean, pdf.DisarmOptions{}, context.Canceled},
		{"BadLinksOption", context.Background(), clean, pdf.DisarmOptions{Links: "maybe"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := pdf.Disarm(tc.ctx, bytes.NewReader(tc.in), &out, tc.opts)
			if err == nil {
				t.Fatal("Disarm succeeded")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want %v", err, tc.is)
			}
			if out.Len() != 0 {
				t.Error("Disarm wrote output on error")
			}
		})
	}
}

// onePage builds a one-page PDF with extra page entries and objects.
func onePage(page string, extra ...pdftest.Object) []byte {
	objs := append([]pdftest.Object{
		{Num: 1, Body: "<< /Type /Catalog /Pages 2 0 R >>"},
		{Num: 2, Body: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		{Num: 3, Body: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R " + page + " >>"},
		{Num: 4, Body: pdftest.FlateStream("", []byte("0 0 m 100 100 l S\n"))},
	}, extra...)
	return pdftest.Build(objs, "/Root 1 0 R")
}

// TestDisarmHidingPlaces covers dangerous names in places other than
// their usual keys: an indirect object that is only a name, a name value
// under an unknown key, and names spelled inside text strings and content
// streams (refused: mugai does not rewrite text).
func TestDisarmHidingPlaces(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      []byte
		removed map[string]int
		refuse  string // error substring when Disarm must refuse
	}{
		{"IndirectNameObject", onePage("/Resources << /ProcSet 5 0 R >>", pdftest.Object{Num: 5, Body: "/JavaScript"}), map[string]int{"javascript": 1}, ""},
		{"NameValueUnderUnknownKey", onePage("/Resources << /X#4Ebject << /Im1 /Launch >> >>"), map[string]int{"launch": 1}, ""},
		{"DangerousKeyInResources", onePage("/Resources << /S#75bmitForm 1 >>"), map[string]int{"submitform": 1}, ""},
		{"StringSpellsName", onePage("/Annots [<< /Type /Annot /Subtype /Text /Rect [0 0 1 1] /Contents (see /J#53 here) >>]"), nil, "/JS"},
		{"ContentStreamSpellsName", onePage("/Resources << /XObject << /X1 5 0 R >> >>", pdftest.Object{Num: 5, Body: pdftest.FlateStream("/Type /XObject /Subtype /Form /BBox [0 0 1 1]", []byte("/OpenAction BMC EMC"))}), nil, "/OpenAction"},
		{"GoToRLink", onePage("/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /GoToR /F (\\\\\\\\evil\\\\share\\\\x.pdf) /D [0 /Fit] >> >>]"), map[string]int{"gotor": 1}, ""},
		{"GoToELink", onePage("/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /GoToE /T << /R /C /N (a.pdf) >> >> >>]"), map[string]int{"gotoe": 1}, ""},
		{"ImportDataOnPageClose", onePage("/AA << /C << /S /ImportData /F (data.fdf) >> >>"), map[string]int{"additional-actions": 1, "importdata": 1}, ""},
		{"NonStandardNamedAction", onePage("/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /Named /N /SaveAs >> >>]"), map[string]int{"action": 1}, ""},
		{"StandardNamedActionKept", onePage("/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /Named /N /NextPage >> >>]"), map[string]int{}, ""},
		{"ThreeDAnnotation", onePage("/Annots [<< /Type /Annot /Subtype /3D /Rect [0 0 9 9] /3DD 5 0 R >>]", pdftest.Object{Num: 5, Body: pdftest.Stream("/Type /3D /Subtype /U3D", "U3D")}), map[string]int{"3d": 1}, ""},
		{"MovieAndSoundActions", onePage("/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /Sound /Sound 5 0 R /Next << /S /Movie /T (m) >> >> >>]", pdftest.Object{Num: 5, Body: pdftest.Stream("/Type /Sound /R 8000", "RIFF")}), map[string]int{"sound": 1, "movie": 1}, ""},
		{"JavaScriptStreamAction", onePage("/AA << /O << /S /JavaScript /JS 5 0 R >> >>", pdftest.Object{Num: 5, Body: pdftest.FlateStream("", []byte("app.launchURL('x')"))}), map[string]int{"additional-actions": 1, "javascript": 1}, ""},
		{"NestedArrayInIndirectArray", onePage("/Resources << /ProcSet 5 0 R >>", pdftest.Object{Num: 5, Body: "[[/JavaScript /PDF] /Text]"}), map[string]int{"javascript": 1}, ""},
		{"TrailerIDSpellsName", bytes.Replace(onePage(""), []byte("/Root 1 0 R"), []byte("/Root 1 0 R /ID [(/JavaScript) (x)]"), 1), map[string]int{}, ""},
		{"PostScriptXObject", onePage("/Resources << /XObject << /X1 5 0 R >> >>", pdftest.Object{Num: 5, Body: pdftest.Stream("/Type /XObject /Subtype /PS", "%!PS showpage")}), map[string]int{"postscript": 1}, ""},
		{"ExternalStreamData", onePage("/Resources << /XObject << /X1 5 0 R >> >>", pdftest.Object{Num: 5, Body: pdftest.Stream("/Type /XObject /Subtype /Form /BBox [0 0 1 1] /F (\\\\\\\\server\\\\share\\\\x)", "0 0 m")}), map[string]int{"external-stream": 1}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			removed, err := pdf.Disarm(context.Background(), bytes.NewReader(tc.in), &out, pdf.DisarmOptions{})
			if tc.refuse != "" {
				if err == nil || !strings.Contains(err.Error(), tc.refuse) {
					t.Fatalf("err = %v, want a refusal naming %s", err, tc.refuse)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(map[string]int(removed), tc.removed) {
				t.Errorf("removed = %v, want %v", removed, tc.removed)
			}
			if _, err := verify.PDF(context.Background(), bytes.NewReader(out.Bytes()), int64(out.Len())); err != nil {
				t.Errorf("output fails verify: %v", err)
			}
		})
	}
}

// TestDisarmEmbeddedJapaneseFont disarms a page whose Japanese text is in
// an embedded 6 MB TrueType font (Debian fonts-ipafont-gothic): the font
// program must come out byte-identical after decoding, the text operators
// unchanged, and the output must pass verify.PDF (binary font data may
// spell short names by chance).
func TestDisarmEmbeddedJapaneseFont(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("6 MB of font data: too slow for -short and the race detector")
	}
	const path = "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"
	ttf, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("needs Debian fonts-ipafont-gothic (%s): %v", path, err)
	}
	f, err := pdftest.EmbeddedFont(ttf)
	if err != nil {
		t.Fatal(err)
	}
	out, removed := disarm(t, f.Bytes, pdf.DisarmOptions{})
	if len(removed) != 0 {
		t.Errorf("removed = %v from a clean file", removed)
	}
	if _, err := verify.PDF(context.Background(), bytes.NewReader(out), int64(len(out))); err != nil {
		t.Errorf("output fails verify: %v", err)
	}
	pc := readOut(t, out)
	if c := pageContents(t, pc); len(c) != 1 || !strings.Contains(c[0], f.Text[0][0]) {
		t.Errorf("text operators lost: %q", c)
	}
	found := false
	for _, e := range pc.Table {
		if sd, ok := e.Object.(types.StreamDict); ok && sd.Dict["Length1"] != nil {
			if err := sd.Decode(); err != nil {
				t.Fatal(err)
			}
			found = bytes.Equal(sd.Content, ttf)
		}
	}
	if !found {
		t.Error("embedded font program not preserved byte for byte")
	}
}

// TestRepairedXRefRevisionConfusion corrupts one entry of the first xref
// section of a two-revision file and the second revision's catalog (no
// /Type), so that pdfcpu repairs the table by scanning and meets both
// revisions' catalogs; the output must still verify. (A fuzzed variant
// of this file made pdfcpu's cached catalog differ from the written one;
// see the QUIRK in read.)
func TestRepairedXRefRevisionConfusion(t *testing.T) {
	f := hostile(t, "IncrementalUpdateAddsJavaScript")
	in := append([]byte(nil), f.Bytes...)
	first := bytes.Index(in, []byte("xref\n0 "))
	// The 12th entry (object 11) of the first section.
	entries := in[first+len("xref\n0 14\n"):]
	entries[11*20+1] = 0xD2
	// And the second revision's catalog loses its /Type.
	second := bytes.LastIndex(in, []byte("/Type /Catalog"))
	in = append(in[:second+5:second+5], append([]byte("0 "), in[second+5:]...)...)
	var out bytes.Buffer
	if _, err := pdf.Disarm(context.Background(), bytes.NewReader(in), &out, pdf.DisarmOptions{}); err != nil {
		t.Fatalf("Disarm: %v", err)
	}
	if _, err := verify.PDF(context.Background(), bytes.NewReader(out.Bytes()), int64(out.Len())); err != nil {
		t.Errorf("output fails verify: %v", err)
	}
}

// TestFilterReferenceCycleDoesNotCrash asserts that streams whose /Filter
// or /DecodeParms refer to themselves are refused before pdfcpu parses
// them (it recurses until a fatal stack overflow that kills the process).
func TestFilterReferenceCycleDoesNotCrash(t *testing.T) {
	for name, body := range map[string]string{
		"FilterSelf":       "<< /Filter 5 0 R /Length 4 >>",
		"FilterArray":      "<< /Filter [5 0 R] /Length 4 >>",
		"DecodeParmsSelf":  "<< /Filter /FlateDecode /DecodeParms 5 0 R /Length 4 >>",
		"DecodeParmsArray": "<< /Filter [/FlateDecode] /DecodeParms [5 0 R] /Length 4 >>",
		"CommentsBetween":  "<< /Filter 5 % one\n0 %two\nR /Length 4 >>",
		"HexEscapedKey":    "<< /D#65codeParms 5 0 R /Filter /FlateDecode /Length 4 >>",
	} {
		t.Run(name, func(t *testing.T) {
			in := onePage("", pdftest.Object{Num: 5, Body: body + "\nstream\nabcd\nendstream"})
			var out bytes.Buffer
			_, err := pdf.Disarm(context.Background(), bytes.NewReader(in), &out, pdf.DisarmOptions{})
			if err == nil || !strings.Contains(err.Error(), "indirect reference") {
				t.Errorf("err = %v, want the indirect reference refused", err)
			}
			if _, err := pdf.Inspect(context.Background(), bytes.NewReader(in), pdf.Limits{}); err == nil {
				t.Error("Inspect accepted it")
			}
		})
	}
}

// TestDisarmConcurrent runs Disarm on every fixture at once; with -race it
// shows that mugai shares no mutable state between calls (and that the
// pdfcpu paths it uses do not either).
func TestDisarmConcurrent(t *testing.T) {
	fs := allFixtures()
	errs := make(chan error, len(fs))
	for _, f := range fs {
		go func() {
			var out bytes.Buffer
			_, err := pdf.Disarm(context.Background(), bytes.NewReader(f.Bytes), &out, pdf.DisarmOptions{})
			if err == nil {
				_, err = verify.PDF(context.Background(), bytes.NewReader(out.Bytes()), int64(out.Len()))
			}
			errs <- err
		}()
	}
	for range fs {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestInspectReadsUserUnit: Inspect gives each page's /UserUnit, 1 for a
// page without one.
func TestInspectReadsUserUnit(t *testing.T) {
	f := pdftest.UserUnit(3)
	info, err := pdf.Inspect(context.Background(), bytes.NewReader(f.Bytes), pdf.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []pdf.PageSize{{Width: 595, Height: 842, Unit: 3}, {Width: 595, Height: 842, Unit: 1}}
	if !slices.Equal(info.PageSizes, want) {
		t.Errorf("page sizes %v, want %v", info.PageSizes, want)
	}
}
