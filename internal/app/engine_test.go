package app_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/enginetest"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
	"github.com/mugai-project/mugai/sanitizer/render"
)

// TestNewEngineRendersAndReleases: the engine from the composition root
// flattens PDFs with the renderer it was handed, and its Close releases
// that renderer: a PDF after Close is withheld, never passed through.
func TestNewEngineRendersAndReleases(t *testing.T) {
	eng, err := app.NewEngine(app.EngineOptions{
		Sanitizer: sanitizer.Options{TempDir: t.TempDir()},
		Render:    render.Options{CacheDir: enginetest.CacheDir(), Instances: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	doc := pdftest.Clean().Bytes
	sanitize := func() *sanitizer.Report {
		t.Helper()
		res, err := eng.Sanitize(context.Background(), sanitizer.Input{Name: "a.pdf", Body: bytes.NewReader(doc)})
		if err != nil {
			t.Fatal(err)
		}
		defer res.Close()
		return res.Report
	}
	if rep := sanitize(); rep.Withheld || rep.Action != sanitizer.Flatten || len(rep.Outputs) != 1 {
		t.Fatalf("report %+v", rep)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	if rep := sanitize(); !rep.Withheld || len(rep.Outputs) != 0 {
		t.Fatalf("a PDF after Close: %+v", rep)
	}
}
