package pdf_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/enginetest"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
	"github.com/mugai-project/mugai/sanitizer/pdf/sandbox"
	"github.com/mugai-project/mugai/sanitizer/verify"
)

// TestHandlerBothDeliversFlattenedAndDisarmed: under pdf = "both" a PDF
// whose OpenAction runs a script comes out twice, each checked by the
// engine's verifier: flattened (in the image-only shape, safe to view)
// and disarmed (named as the editable copy, its text kept as text), and
// neither holds the script.
func TestHandlerBothDeliversFlattenedAndDisarmed(t *testing.T) {
	sb := sandbox.New(sandbox.Options{CacheDir: enginetest.CacheDir()})
	t.Cleanup(func() { sb.Close() })
	pol := sanitizer.Policy{Actions: map[detect.Kind]sanitizer.Action{detect.PDF: sanitizer.Both}}
	e, err := sanitizer.New(sanitizer.Options{
		Policy:    pol,
		TempDir:   t.TempDir(),
		Handlers:  pdf.Handlers(pdf.HandlerOptions{Flattener: enginetest.Renderer(t), Disarmer: sb, Inspector: sb}),
		Verifiers: pdf.VerifiersFor(pol),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	fx := pdftest.Hostile()[0]
	res := runPDF(t, e, sanitizer.Input{Name: "見積書.pdf", Body: bytes.NewReader(fx.Bytes)})
	if res.Report.Withheld || len(res.Outputs) != 2 {
		t.Fatalf("report %+v", res.Report)
	}
	flat, edit := res.Outputs[0], res.Outputs[1]
	if flat.Name != "見積書.pdf" || edit.Name != "見積書（編集用）.pdf" {
		t.Errorf("outputs named %q and %q", flat.Name, edit.Name)
	}
	read := func(o *sanitizer.Output) []byte {
		b, err := io.ReadAll(o.Open())
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	flatOnly := verify.PDFOptions{Flattened: true}
	if _, err := flatOnly.Check(context.Background(), bytes.NewReader(read(flat)), flat.Size()); err != nil {
		t.Errorf("the flattened output is not in the image-only shape: %v", err)
	}
	if _, err := flatOnly.Check(context.Background(), bytes.NewReader(read(edit)), edit.Size()); err == nil {
		t.Error("the disarmed output passes as image-only: it was flattened, not disarmed")
	}
	for _, o := range res.Outputs {
		if bytes.Contains(read(o), []byte("/JavaScript")) {
			t.Errorf("%s holds /JavaScript", o.Name)
		}
	}
	if removed(res.Report, "javascript") == 0 {
		t.Errorf("removed %v, want javascript", res.Report.Removed)
	}
	note := strings.Join(res.Report.Notes, "\n")
	if !strings.Contains(note, "見積書（編集用）.pdf is disarmed") || !strings.Contains(note, "javascript") {
		t.Errorf("the notes do not say what the editable copy lost:\n%s", note)
	}
}
