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

func TestUsersCommand(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	run := func(stdin string, args ...string) (int, string) {
		t.Helper()
		var out, errb bytes.Buffer
		code := runUsersIO(ctx, append([]string{"-data", data}, args...), strings.NewReader(stdin), &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := run("correct horse battery\n", "add", "-role", "approver", "-department", "財政課", "alice"); code != exitOK {
		t.Fatalf("add: %d %s", code, out)
	}
	if code, _ := run("short\n", "add", "bob"); code != exitUsage {
		t.Errorf("short password accepted: %d", code)
	}
	if code, out := run("", "disable", "alice"); code != exitOK {
		t.Fatalf("disable: %d %s", code, out)
	}
	code, out := run("", "list")
	if code != exitOK || !strings.Contains(out, "alice") || !strings.Contains(out, "approver") || !strings.Contains(out, "disabled") ||
		!strings.Contains(out, "財政課") || !strings.Contains(out, "local") {
		t.Errorf("list: %d %q", code, out)
	}
	if code, _ := run("long enough password\n", "passwd", "nobody"); code != exitUsage {
		t.Errorf("passwd of an unknown user: %d", code)
	}
	if code, out := run("", "mail", "alice", "a-suzuki@lg.example.jp"); code != exitOK {
		t.Fatalf("mail: %d %s", code, out)
	}
	if code, _ := run("", "mail", "alice", "not an address"); code != exitUsage {
		t.Errorf("a mail that is no address: %d", code)
	}
	if code, out := run("", "list"); code != exitOK || !strings.Contains(out, "a-suzuki@lg.example.jp") {
		t.Errorf("list after mail: %d %q", code, out)
	}
}

// TestUsersCommandUsesTheConfigDataDir: with -config, the users go into
// the database `mugai serve -config` opens, not ./data.
func TestUsersCommandUsesTheConfigDataDir(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "served")
	cfgFile := filepath.Join(dir, "mugai.toml")
	if err := os.WriteFile(cfgFile, []byte(fmt.Sprintf("data_dir = %q\n", data)), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	ctx := context.Background()
	var out bytes.Buffer
	if code := runUsersIO(ctx, []string{"-config", cfgFile, "add", "alice"}, strings.NewReader("correct horse battery\n"), &out, &out); code != exitOK {
		t.Fatalf("add: %d %s", code, out.String())
	}
	if _, err := os.Stat(filepath.Join(data, "mugai.db")); err != nil {
		t.Errorf("the user is not in the configured data_dir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
		t.Errorf("./data was created")
	}
	out.Reset()
	if code := runUsersIO(ctx, []string{"-config", cfgFile, "list"}, strings.NewReader(""), &out, &out); code != exitOK || !strings.Contains(out.String(), "alice") {
		t.Errorf("list: %d %q", code, out.String())
	}
}
