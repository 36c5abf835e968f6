package sandbox

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pdfcpu "github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/mugai-project/mugai/fixtures"
	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
	"github.com/mugai-project/mugai/sanitizer/verify"
)

// outcome is what one disarm gave.
type outcome struct {
	out     []byte
	removed pdf.Removed
	err     error
}

func inProcess(ctx context.Context, in []byte, opts pdf.DisarmOptions) outcome {
	var out bytes.Buffer
	removed, err := pdf.Disarm(ctx, bytes.NewReader(in), &out, opts)
	return outcome{out.Bytes(), removed, err}
}

func sandboxed(ctx context.Context, s *Sandbox, in []byte, opts pdf.DisarmOptions) outcome {
	var out bytes.Buffer
	removed, err := s.Disarm(ctx, bytes.NewReader(in), &out, opts)
	return outcome{out.Bytes(), removed, err}
}

// errClass names the error values callers test for.
func errClass(err error) string {
	var ee *pdf.EncryptedError
	switch {
	case err == nil:
		return "nil"
	case errors.As(err, &ee):
		if ee.UserPassword {
			return "encrypted/user-password"
		}
		return "encrypted/unsupported"
	case errors.Is(err, pdf.ErrLimit):
		return "limit"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline"
	case errors.Is(err, ErrCrashed):
		return "crashed"
	}
	return "other"
}

// assertSame asserts that the sandbox gave what pdf.Disarm gives in
// process: the same bytes, the same counts, or an error of the same
// class with the same text.
func assertSame(t *testing.T, got, want outcome) {
	t.Helper()
	if errClass(got.err) != errClass(want.err) {
		t.Fatalf("sandbox err = %v (%s), in process %v (%s)", got.err, errClass(got.err), want.err, errClass(want.err))
	}
	if want.err != nil {
		if got.err.Error() != want.err.Error() {
			t.Errorf("sandbox err = %q, in process %q", got.err, want.err)
		}
		if len(got.out) != 0 {
			t.Error("sandbox wrote output on error")
		}
		return
	}
	if got.removed == nil {
		t.Error("removed is nil, pdf.Disarm returns a map")
	}
	if !maps.Equal(got.removed, want.removed) {
		t.Errorf("sandbox removed %v, in process %v", got.removed, want.removed)
	}
	sameDocument(t, got.out, want.out)
}

// sameDocument asserts that two disarmed files hold the same objects
// under the same numbers, streams compared decoded, except for what
// pdfcpu stamps with the time of writing: the document information
// dictionary, and the file identifier and compressed sections derived
// from it.
func sameDocument(t *testing.T, a, b []byte) {
	t.Helper()
	oa, ob := objectsOf(t, a), objectsOf(t, b)
	if len(oa) != len(ob) {
		t.Fatalf("sandbox output has %d objects, in process %d", len(oa), len(ob))
	}
	for n, s := range ob {
		if oa[n] != s {
			t.Errorf("object %d: sandbox %.200s, in process %.200s", n, oa[n], s)
		}
	}
}

// objectsOf returns the objects of a disarmed file, as text.
func objectsOf(t *testing.T, b []byte) map[int]string {
	t.Helper()
	conf := &model.Configuration{Reader15: true, ValidationMode: model.ValidationRelaxed, Limits: model.DefaultResourceLimits()}
	pc, err := pdfcpu.Read(bytes.NewReader(b), conf)
	if err != nil {
		t.Fatalf("output does not parse: %v", err)
	}
	info := -1
	if pc.Info != nil {
		info = pc.Info.ObjectNumber.Value()
	}
	objs := map[int]string{}
	for n, e := range pc.Table {
		if e == nil || e.Free || n == info || e.Object == nil {
			continue
		}
		switch o := e.Object.(type) {
		case types.XRefStreamDict, types.ObjectStreamDict:
			// Compressed sections: their objects are compared one by one.
		case types.StreamDict:
			if err := o.Decode(); err != nil {
				t.Fatalf("object %d does not decode: %v", n, err)
			}
			d := o.Dict.Clone().(types.Dict)
			delete(d, "Length")
			objs[n] = d.String() + "\nstream\n" + string(o.Content)
		default:
			objs[n] = o.String()
		}
	}
	return objs
}

// TestDisarmFixtures runs every pdftest fixture through the sandbox under
// both link policies: the counts are the fixture's, the output is the
// in-process output byte for byte and passes verify.PDF.
func TestDisarmFixtures(t *testing.T) {
	s := testSandbox(t)
	for _, f := range append([]pdftest.Fixture{pdftest.Clean()}, pdftest.Hostile()...) {
		for _, links := range []string{pdf.LinksRemove, pdf.LinksKeep} {
			t.Run(f.Name+"/links="+links, func(t *testing.T) {
				opts := pdf.DisarmOptions{Links: links}
				got := sandboxed(t.Context(), s, f.Bytes, opts)
				if got.err != nil {
					t.Fatalf("Disarm: %v", got.err)
				}
				want := f.Removed
				if links == pdf.LinksKeep && f.RemovedKeepLinks != nil {
					want = f.RemovedKeepLinks
				}
				if !maps.Equal(map[string]int(got.removed), want) {
					t.Errorf("removed = %v, want %v", got.removed, want)
				}
				if _, err := (verify.PDFOptions{AllowURI: links == pdf.LinksKeep}).Check(t.Context(), bytes.NewReader(got.out), int64(len(got.out))); err != nil {
					t.Errorf("output fails verify: %v", err)
				}
				assertSame(t, got, inProcess(t.Context(), f.Bytes, opts))
			})
		}
	}
}

// TestDisarmErrorsAsInProcess asserts that every refusal comes back as
// the error value pdf.Disarm returns in process, with nothing written.
func TestDisarmErrorsAsInProcess(t *testing.T) {
	s := testSandbox(t)
	clean := pdftest.Clean().Bytes
	for _, tc := range []struct {
		name  string
		in    []byte
		opts  pdf.DisarmOptions
		class string
	}{
		{"NotAPDF", []byte("hello, world"), pdf.DisarmOptions{}, "other"},
		{"Empty", nil, pdf.DisarmOptions{}, "other"},
		{"TooManyBytes", clean, pdf.DisarmOptions{Limits: pdf.Limits{MaxBytes: 100}}, "limit"},
		{"TooManyPages", clean, pdf.DisarmOptions{Limits: pdf.Limits{MaxPages: 2}}, "limit"},
		{"TooManyObjects", clean, pdf.DisarmOptions{Limits: pdf.Limits{MaxObjects: 5}}, "limit"},
		{"BadLinksOption", clean, pdf.DisarmOptions{Links: "maybe"}, "other"},
		{"FilterReferencePrescan", filterSelf(), pdf.DisarmOptions{}, "other"},
		{"StringSpellsName", onePage("/Annots [<< /Type /Annot /Subtype /Text /Rect [0 0 1 1] /Contents (see /J#53 here) >>]"), pdf.DisarmOptions{}, "other"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := sandboxed(t.Context(), s, tc.in, tc.opts)
			if c := errClass(got.err); c != tc.class {
				t.Fatalf("err = %v (%s), want %s", got.err, c, tc.class)
			}
			assertSame(t, got, inProcess(t.Context(), tc.in, tc.opts))
		})
	}
	t.Run("Cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if got := sandboxed(ctx, s, clean, pdf.DisarmOptions{}); !errors.Is(got.err, context.Canceled) || len(got.out) != 0 {
			t.Errorf("err = %v, %d bytes written; want context.Canceled and nothing", got.err, len(got.out))
		}
	})
}

// corpusDir is mugai's malicious corpus.
var corpusDir = filepath.Join("..", "..", "..", "fixtures")

// TestCorpusAsInProcess runs every PDF of the malicious corpus (fixtures/)
// through the sandbox and in process, without and (for the encrypted
// ones) with their password, and asserts the same outcome.
func TestCorpusAsInProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("the corpus includes a 10,000-page file")
	}
	s := testSandbox(t)
	m, err := fixtures.Load(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range m.Fixtures {
		if e.Kind != "pdf" {
			continue
		}
		in, err := os.ReadFile(filepath.Join(corpusDir, e.Path))
		if err != nil {
			t.Fatal(err)
		}
		n++
		passwords := []string{""}
		if e.Password != "" {
			passwords = append(passwords, e.Password, "wrong-"+e.Password)
		}
		for _, pw := range passwords {
			t.Run(e.ID+"/password="+pw, func(t *testing.T) {
				opts := pdf.DisarmOptions{Limits: pdf.Limits{Password: pw}}
				got := sandboxed(t.Context(), s, in, opts)
				assertSame(t, got, inProcess(t.Context(), in, opts))
				if got.err == nil {
					if _, err := verify.PDF(t.Context(), bytes.NewReader(got.out), int64(len(got.out))); err != nil {
						t.Errorf("output fails verify: %v", err)
					}
				}
				if pw != "" && strings.HasPrefix(pw, "wrong-") && errClass(got.err) != "encrypted/user-password" {
					t.Errorf("wrong password: err = %v, want an EncryptedError with UserPassword", got.err)
				}
			})
		}
	}
	if n < 40 {
		t.Errorf("only %d PDFs in the corpus", n)
	}
}

// TestDisarmConcurrent disarms every fixture at once through one sandbox
// with fewer instances than calls; with -race it shows that calls share
// no mutable state.
func TestDisarmConcurrent(t *testing.T) {
	s := testSandbox(t)
	fs := append([]pdftest.Fixture{pdftest.Clean()}, pdftest.Hostile()...)
	errs := make(chan error, len(fs))
	for _, f := range fs {
		go func() {
			got := sandboxed(context.Background(), s, f.Bytes, pdf.DisarmOptions{})
			if got.err == nil && !maps.Equal(map[string]int(got.removed), f.Removed) {
				got.err = errors.New(f.Name + ": counts differ")
			}
			if got.err == nil {
				_, got.err = verify.PDF(context.Background(), bytes.NewReader(got.out), int64(len(got.out)))
			}
			errs <- got.err
		}()
	}
	for range fs {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
