package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestSanitizeReportsNameTricks: mugai sanitize reports what a file name
// hides (a right-to-left override, trailing dots and spaces) in the JSON
// report it prints and in the report it writes beside the outputs.
func TestSanitizeReportsNameTricks(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, finding string }{
		{"請求書\u202Efdp.exe", "name-bidi-control"},
		{"invoice.txt. . .", "name-trailing-dot-or-space"},
	}
	for _, tt := range tests {
		t.Run(tt.finding, func(t *testing.T) {
			p := filepath.Join(dir, tt.name)
			if err := os.WriteFile(p, []byte("%PDF-1.4\n%%EOF\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out-"+tt.finding)
			stdout, stderr, code := mugai(t, nil, "sanitize", "-o", out, "--json", p)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			type report struct {
				Findings []struct{ Code string } `json:"findings"`
			}
			has := func(b []byte) bool {
				var r report
				if err := json.Unmarshal(b, &r); err != nil {
					t.Fatalf("%v: %s", err, b)
				}
				return slices.ContainsFunc(r.Findings, func(f struct{ Code string }) bool { return f.Code == tt.finding })
			}
			if !has([]byte(stdout)) {
				t.Errorf("printed report lacks %s: %s", tt.finding, stdout)
			}
			files, _ := filepath.Glob(filepath.Join(out, "*.report.json"))
			if len(files) != 1 {
				t.Fatalf("report files %v", files)
			}
			b, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			if !has(bytes.TrimSpace(b)) {
				t.Errorf("written report lacks %s: %s", tt.finding, b)
			}
		})
	}
}
