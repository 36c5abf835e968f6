package clamd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/clamd/clamdtest"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/render"
)

// These tests run items through mugai's engine, with every handler, and
// a real clamd as its Scanner.

func newEngine(t *testing.T, scanner sanitizer.Scanner) *sanitizer.Engine {
	t.Helper()
	e, err := app.NewEngine(app.EngineOptions{Sanitizer: sanitizer.Options{
		Scanner: scanner, TempDir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil)),
	}, Render: render.Options{CacheDir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func sanitize(t *testing.T, e *sanitizer.Engine, name string, body []byte) *sanitizer.Report {
	t.Helper()
	res, err := e.Sanitize(context.Background(), sanitizer.Input{Name: name, Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	return res.Report
}

// withheldFor returns the first report in the tree, depth first, withheld
// with the reason code.
func withheldFor(rep *sanitizer.Report, code string) *sanitizer.Report {
	if rep.Withheld {
		for _, r := range rep.Reasons {
			if r.Code == code {
				return rep
			}
		}
	}
	for _, c := range rep.Children {
		if r := withheldFor(c, code); r != nil {
			return r
		}
	}
	return nil
}

func dump(rep *sanitizer.Report) string {
	b, _ := json.MarshalIndent(rep, "", "  ")
	return string(b)
}

// TestEngineWithholdsMalware: EICAR is withheld with reason "malware"
// wherever it is, and the rest of its container still gets through when
// the scanner only sees the nested item. With a clamd that unpacks, the
// whole container is caught at the top; with a shallow clamd that does
// not, mugai's own scan of each nested item catches it.
func TestEngineWithholdsMalware(t *testing.T) {
	eicar := string(clamdtest.EICAR())
	zipped := zipOf(t, "見積書.txt", "見積金額 12,000円\n", "eicar.txt", eicar)
	mailed := mailWith("eicar.txt", []byte(eicar))
	tests := []struct {
		name    string
		shallow bool
		file    string
		body    []byte
		depth   int // where the malware is withheld: 0 the item itself, 1 a nested item
	}{
		{"eicar text", false, "eicar.txt", []byte(eicar), 0},
		{"eicar in a zip entry", false, "資料.zip", zipped, 0},
		{"eicar mail attachment", false, "message.eml", mailed, 0},
		{"eicar text, shallow clamd", true, "eicar.txt", []byte(eicar), 0},
		{"eicar in a zip entry, shallow clamd", true, "資料.zip", zipped, 1},
		{"eicar mail attachment, shallow clamd", true, "message.eml", mailed, 1},
	}
	full := server(t)
	shallow := clamdtest.StartServer(t, clamdtest.Options{Shallow: true})
	engines := map[bool]*sanitizer.Engine{false: newEngine(t, full.Client), true: newEngine(t, shallow.Client)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := sanitize(t, engines[tt.shallow], tt.file, tt.body)
			bad := withheldFor(rep, sanitizer.ReasonMalware)
			if bad == nil {
				t.Fatalf("no item withheld for malware:\n%s", dump(rep))
			}
			if bad.Depth != tt.depth {
				t.Fatalf("malware withheld at depth %d (%q), want %d:\n%s", bad.Depth, bad.Name, tt.depth, dump(rep))
			}
			found := false
			for _, f := range bad.Findings {
				found = found || (f.Code == sanitizer.FindingMalware && f.Detail == clamdtest.Signature)
			}
			if !found {
				t.Errorf("no %s finding naming %s:\n%s", sanitizer.FindingMalware, clamdtest.Signature, dump(bad))
			}
			if tt.depth > 0 {
				// The container itself is delivered without the infected item.
				if rep.Withheld || len(rep.Outputs) == 0 {
					t.Fatalf("container withheld, want it delivered without the infected item:\n%s", dump(rep))
				}
				if !strings.Contains(bad.Name, "eicar") {
					t.Errorf("withheld nested item is %q, want the EICAR attachment", bad.Name)
				}
			}
		})
	}
}

// TestEngineCleanPasses: the real scanner does not withhold clean items.
func TestEngineCleanPasses(t *testing.T) {
	e := newEngine(t, server(t).Client)
	for _, tt := range []struct{ name, file string }{
		{"text", "memo.txt"},
		{"zip", "資料.zip"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte("見積金額 12,000円\n")
			if tt.file == "資料.zip" {
				body = zipOf(t, "見積書.txt", string(body))
			}
			rep := sanitize(t, e, tt.file, body)
			if rep.Withheld || len(rep.Outputs) == 0 {
				t.Fatalf("clean %s withheld:\n%s", tt.name, dump(rep))
			}
			if rep.Timings.Scan <= 0 {
				t.Errorf("no scan time recorded: the scanner did not run")
			}
		})
	}
}

// TestEngineScannerDown: with clamd gone, even clean items are withheld
// ("scan-failed"), never passed unscanned.
func TestEngineScannerDown(t *testing.T) {
	srv := clamdtest.StartServer(t, clamdtest.Options{})
	e := newEngine(t, srv.Client)
	srv.Kill()
	rep := sanitize(t, e, "memo.txt", []byte("見積金額 12,000円\n"))
	if !rep.Withheld || withheldFor(rep, sanitizer.ReasonScanFailed) != rep {
		t.Fatalf("clean text with clamd down not withheld for scan-failed:\n%s", dump(rep))
	}
}
