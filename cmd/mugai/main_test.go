package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/clamd/clamdtest"
	"github.com/mugai-project/mugai/internal/store"
)

// mugaiBin is the binary built once for the tests, which run it as a
// user would.
var mugaiBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mugai-bin-")
	if err != nil {
		panic(err)
	}
	mugaiBin = filepath.Join(dir, "mugai")
	if out, err := exec.Command("go", "build", "-o", mugaiBin, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// mugai runs the binary with a shared renderer cache and returns stdout,
// stderr and the exit code.
func mugai(t *testing.T, stdin []byte, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(mugaiBin, args...)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+cache)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

func TestUsageExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{nil, exitUsage},
		{[]string{"nonsense"}, exitUsage},
		{[]string{"sanitize"}, exitUsage},
		{[]string{"sanitize", "--no-such-flag", "x"}, exitUsage},
		{[]string{"sanitize", "--policy", "/nonexistent.toml", "x"}, exitUsage},
		{[]string{"sanitize", "--lang", "xx", "x"}, exitUsage},
		{[]string{"version"}, exitOK},
		{[]string{"help"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			if _, stderr, code := mugai(t, nil, tt.args...); code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, stderr)
			}
		})
	}
}

func TestSanitizeWritesOutputsAndReports(t *testing.T) {
	in := t.TempDir()
	out := t.TempDir()
	sjis := []byte{0x82, 0xb1, 0x82, 0xf1, 0x82, 0xc9, 0x82, 0xbf, 0x82, 0xcd, '\r', '\n'} // こんにちは in Shift_JIS
	files := map[string][]byte{
		"挨拶.txt":         sjis,
		"setup.exe":      append([]byte("MZ\x90\x00"), make([]byte, 100)...),
		"report.pdf.exe": append([]byte("MZ\x90\x00"), make([]byte, 100)...),
	}
	var args []string
	for name, data := range files {
		p := filepath.Join(in, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	stdout, stderr, code := mugai(t, nil, append([]string{"sanitize", "-o", out}, args...)...)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	if n := strings.Count(stdout, "\n"); n != len(files) {
		t.Errorf("want one summary line per input, got %q", stdout)
	}
	got, err := os.ReadFile(filepath.Join(out, "挨拶.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "こんにちは\r\n" {
		t.Errorf("text output %q, want UTF-8 こんにちは", got)
	}
	if _, err := os.Stat(filepath.Join(out, "setup.exe")); !os.IsNotExist(err) {
		t.Error("an executable was written to the output folder")
	}
	var rep struct {
		Withheld bool `json:"withheld"`
		Reasons  []struct {
			Code string `json:"code"`
		} `json:"reasons"`
	}
	b, err := os.ReadFile(filepath.Join(out, "setup.report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil || !rep.Withheld || len(rep.Reasons) == 0 {
		t.Errorf("setup.report.json: %s (%v)", b, err)
	}
}

// TestSanitizeSummaryLanguage: the summary of a withheld item is in the
// language asked for, in the catalog's words.
func TestSanitizeSummaryLanguage(t *testing.T) {
	exe := append([]byte("MZ\x90\x00"), make([]byte, 100)...)
	for _, tt := range []struct{ lang, want string }{
		{"ja", "無害化できないため受け渡しできません: 実行ファイル・スクリプトのため削除しました"},
		{"en", "cannot be made harmless, not passed on: executable or script, removed"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			stdout, stderr, code := mugai(t, exe, "sanitize", "-o", t.TempDir(), "--lang", tt.lang, "-")
			if code != exitOK || !strings.Contains(stdout, tt.want) {
				t.Errorf("exit %d, summary %q, want %q (stderr %s)", code, stdout, tt.want, stderr)
			}
		})
	}
}

func TestSanitizeStdinJSON(t *testing.T) {
	out := t.TempDir()
	stdout, stderr, code := mugai(t, []byte("<html><body><p>お知らせ</p><script>alert(1)</script></body></html>"), "sanitize", "-o", out, "--json", "-")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Detected string `json:"detected"`
		Action   string `json:"action"`
		Outputs  []struct {
			Name string `json:"name"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("stdout is not one JSON report: %v\n%s", err, stdout)
	}
	if rep.Detected != "html" || rep.Action != "text" || len(rep.Outputs) != 1 {
		t.Fatalf("report %+v", rep)
	}
	got, err := os.ReadFile(filepath.Join(out, rep.Outputs[0].Name))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), "お知らせ") || strings.Contains(string(got), "alert") {
		t.Errorf("HTML output %q", got)
	}
}

func TestSanitizeNeverOverwritesInput(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "memo.txt")
	if err := os.WriteFile(p, []byte("memo: 会議は三時から\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := mugai(t, nil, "sanitize", "-o", dir, p); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(p); string(b) != "memo: 会議は三時から\n" {
		t.Errorf("the input was overwritten: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "memo.mugai.txt")); err != nil {
		t.Errorf("output beside the input: %v", err)
	}
}

func TestSanitizeKeepsWithheldOriginals(t *testing.T) {
	dir := t.TempDir()
	exe := append([]byte("MZ\x90\x00"), make([]byte, 100)...)
	p := filepath.Join(dir, "setup.exe")
	if err := os.WriteFile(p, exe, 0o644); err != nil {
		t.Fatal(err)
	}
	q := filepath.Join(dir, "quarantine")
	stdout, stderr, code := mugai(t, nil, "sanitize", "-o", filepath.Join(dir, "out"), "-q", q, "--json", p)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		ID           string `json:"id"`
		QuarantineID string `json:"quarantine_id"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || rep.QuarantineID == "" {
		t.Fatalf("report %s (%v)", stdout, err)
	}
	fsq, err := store.NewFS(q)
	if err != nil {
		t.Fatal(err)
	}
	item, rc, err := fsq.Get(context.Background(), rep.QuarantineID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	kept, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(kept, exe) || item.Reason != "executable" {
		t.Fatalf("quarantined original: reason %q, %v", item.Reason, err)
	}
}

func TestSanitizeWithClamd(t *testing.T) {
	srv := clamdtest.StartServer(t, clamdtest.Options{})
	dir := t.TempDir()
	p := filepath.Join(dir, "readme.txt")
	if err := os.WriteFile(p, clamdtest.EICAR(), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := mugai(t, nil, "sanitize", "-o", filepath.Join(dir, "out"), "--json", "--clamd", "unix:"+srv.Socket, p)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Withheld bool `json:"withheld"`
		Reasons  []struct {
			Code string `json:"code"`
		} `json:"reasons"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || !rep.Withheld || rep.Reasons[0].Code != "malware" {
		t.Fatalf("report %s (%v)", stdout, err)
	}
	if _, _, code := mugai(t, nil, "sanitize", "-o", dir, "--clamd", "unix:"+filepath.Join(dir, "nothing.sock"), p); code != exitInternal {
		t.Errorf("an unreachable clamd gave exit %d, want %d", code, exitInternal)
	}
}
