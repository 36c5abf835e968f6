package main

import (
	"bytes"
	"context"
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
	if code, out := run("correct horse battery\n", "add", "-role", "approver", "alice"); code != exitOK {
		t.Fatalf("add: %d %s", code, out)
	}
	if code, _ := run("short\n", "add", "bob"); code != exitUsage {
		t.Errorf("short password accepted: %d", code)
	}
	if code, out := run("", "disable", "alice"); code != exitOK {
		t.Fatalf("disable: %d %s", code, out)
	}
	code, out := run("", "list")
	if code != exitOK || !strings.Contains(out, "alice") || !strings.Contains(out, "approver") || !strings.Contains(out, "disabled") {
		t.Errorf("list: %d %q", code, out)
	}
	if code, _ := run("long enough password\n", "passwd", "nobody"); code != exitUsage {
		t.Errorf("passwd of an unknown user: %d", code)
	}
}
