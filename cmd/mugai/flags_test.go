package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigFlagBeforeOrAfterSubcommand: every command with subcommands
// takes -config before the subcommand or after it.
func TestConfigFlagBeforeOrAfterSubcommand(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "served")
	cfgFile := filepath.Join(dir, "mugai.toml")
	if err := os.WriteFile(cfgFile, []byte(fmt.Sprintf("data_dir = %q\n[smtp]\nlisten = \"127.0.0.1:2626\"\n", data)), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	ctx := context.Background()
	run := func(f func(context.Context, []string, *bytes.Buffer) int, args ...string) (int, string) {
		var out bytes.Buffer
		code := f(ctx, args, &out)
		return code, out.String()
	}
	users := func(stdin string) func(context.Context, []string, *bytes.Buffer) int {
		return func(ctx context.Context, args []string, out *bytes.Buffer) int {
			return runUsersIO(ctx, args, strings.NewReader(stdin), out, out)
		}
	}
	cfg := func(ctx context.Context, args []string, out *bytes.Buffer) int { return runConfig(ctx, args, out, out) }
	audit := func(ctx context.Context, args []string, out *bytes.Buffer) int { return runAudit(ctx, args, out, out) }
	queue := func(ctx context.Context, args []string, out *bytes.Buffer) int { return runQueue(ctx, args, out, out) }
	tests := []struct {
		name string
		f    func(context.Context, []string, *bytes.Buffer) int
		args []string
		want string
	}{
		{"users add, flag after", users("correct horse battery\n"), []string{"add", "-config", cfgFile, "alice"}, "done"},
		{"users add, flag before", users("correct horse battery\n"), []string{"-config", cfgFile, "add", "bob"}, "done"},
		{"users list, flag after", users(""), []string{"list", "-config", cfgFile}, "bob"},
		{"config check, flag after", cfg, []string{"check", "-config", cfgFile}, "127.0.0.1:2626"},
		{"config check, flag before", cfg, []string{"-config", cfgFile, "check"}, "127.0.0.1:2626"},
		{"audit export, flag after", audit, []string{"export", "-config", cfgFile, "--format", "jsonl"}, ""},
		{"audit export, flag before", audit, []string{"-config", cfgFile, "export", "--format", "jsonl"}, ""},
		{"queue list, flag after", queue, []string{"list", "-config", cfgFile}, "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := run(tc.f, tc.args...)
			if code != exitOK || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, want 0 and %q in:\n%s", code, tc.want, out)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(data, "mugai.db")); err != nil {
		t.Errorf("the users are not in the configured data_dir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
		t.Errorf("./data was created")
	}
}
