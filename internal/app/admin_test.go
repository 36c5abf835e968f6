package app

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/clamd"
	"github.com/mugai-project/mugai/internal/config"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/ocr"
	"github.com/mugai-project/mugai/sanitizer/office"
	"github.com/mugai-project/mugai/smtpproxy"
	"github.com/mugai-project/mugai/transfer"
)

// TestOperationsStatusAndRelease: the console's view of the relay reads
// the outbox in the data folder, and a release queues the original in
// it, audited in the relay's trail, as `mugai quarantine release` does.
func TestOperationsStatusAndRelease(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	q, err := store.NewFS(filepath.Join(data, "quarantine"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := OpenDB(ctx, &config.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	md, err := meta.NewSQLite(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	// A clamd that does not answer: nothing listens on this socket.
	sc, err := clamd.New(clamd.Options{Network: "unix", Address: filepath.Join(data, "no-clamd.sock")})
	if err != nil {
		t.Fatal(err)
	}
	outboxDir := filepath.Join(data, "outbox")
	if err := os.MkdirAll(outboxDir, 0o700); err != nil {
		t.Fatal(err)
	}
	ob, err := smtpproxy.OpenOutbox(outboxDir)
	if err != nil {
		t.Fatal(err)
	}
	ops := NewOperations(OperationsOptions{DataDir: data, OutboxDir: outboxDir, Releases: ob, Quarantine: q, Meta: md, Scanner: sc})

	st, err := ops.Status(ctx)
	if err != nil || st.QueueDepth != 0 || st.DiskFree <= 0 || !st.Scanner || st.ScannerErr == "" {
		t.Fatalf("empty: %+v, %v", st, err)
	}
	id, err := q.Put(ctx, store.Item{Name: "message.eml", Reason: "encrypted", Source: "smtp", RetainUntil: time.Now().Add(time.Hour),
		Meta: map[string]string{"from": "a@example.net", "to": `["alice@city.lg.jp"]`}}, strings.NewReader("Subject: x\r\n\r\nbody\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	up, err := q.Put(ctx, store.Item{Name: "a.zip", Reason: "encrypted", Source: "upload", RetainUntil: time.Now().Add(time.Hour)}, strings.NewReader("zip"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ops.Release(ctx, up, "dave"); err == nil {
		t.Fatal("an upload was released by mail")
	}
	qid, err := ops.Release(ctx, id, "dave")
	if err != nil {
		t.Fatal(err)
	}
	if it, _, _ := q.Get(ctx, id); it.State != store.Released || it.StateBy != "dave" {
		t.Errorf("after release: %s by %q", it.State, it.StateBy)
	}
	if evs, _ := md.Events(ctx, id); len(evs) != 1 || evs[0].Actor != "dave" || evs[0].Action != "quarantine-release" {
		t.Errorf("relay's trail: %+v", evs)
	}
	st, err = ops.Status(ctx)
	if err != nil || st.QueueDepth != 1 || st.QueueOldest.IsZero() || st.Failing != 0 {
		t.Fatalf("after release: %+v, %v", st, err)
	}
	if qid != id+"-release" {
		t.Errorf("queue entry %s", qid)
	}
}

// TestEnginePartsStatus: the console's status of the engine's sandboxed
// parts. The renderer is idle until a PDF starts it, then up; a
// LibreOffice or a tesseract that is not there is down, with why.
func TestEnginePartsStatus(t *testing.T) {
	ctx := context.Background()
	eng, parts := sandboxedParts(t)
	r, lo, tess := parts.Status(ctx)
	if r.State != transfer.PartIdle || lo.State != transfer.PartUp || tess.State != transfer.PartUp {
		t.Fatalf("before any PDF: renderer %+v, LibreOffice %+v, tesseract %+v", r, lo, tess)
	}
	pdf, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "corpus", "pdf", "clean-en-3pages.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Sanitize(ctx, sanitizer.Input{Name: "a.pdf", Body: bytes.NewReader(pdf)})
	if err != nil {
		t.Fatal(err)
	}
	res.Close()
	if r, _, _ := parts.Status(ctx); r.State != transfer.PartUp {
		t.Errorf("after a PDF: renderer %+v", r)
	}
	missing := &EngineParts{Renderer: parts.Renderer, Office: office.ConvertOptions{Soffice: "/nonexistent/soffice"}, OCR: ocr.Options{Tesseract: "/nonexistent/tesseract"}}
	if _, lo, tess := missing.Status(ctx); lo.State != transfer.PartDown || lo.Err == "" || tess.State != transfer.PartDown || tess.Err == "" {
		t.Errorf("missing tools: LibreOffice %+v, tesseract %+v", lo, tess)
	}
}

// sandboxedParts is the default engine's parts, with LibreOffice and
// tesseract under bubblewrap; the test is skipped where they are not
// installed. The engine, returned beside them, is closed when the test
// ends.
func sandboxedParts(t *testing.T) (*sanitizer.Engine, *EngineParts) {
	t.Helper()
	for _, tool := range []string{"soffice", "tesseract", "bwrap"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool, " is not installed")
		}
	}
	eng, parts, err := NewEngineParts(EngineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng, parts
}
