package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/config"
)

func TestAuditExportCommand(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	db, err := app.OpenDB(ctx, &config.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.New(ctx, db, "")
	if err != nil {
		t.Fatal(err)
	}
	l.Record(ctx, audit.Event{Time: time.Now().Add(-48 * time.Hour), User: "old", Action: audit.Login})
	l.Record(ctx, audit.Event{User: "alice", Action: audit.Download, Item: "x", SHA256Out: "cafe"})
	db.Close()
	var out, errb bytes.Buffer
	if code := runAudit(ctx, []string{"export", "-data", data, "--since", "24h", "--format", "csv"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if s := out.String(); !strings.Contains(s, "alice") || strings.Contains(s, "old") || !strings.Contains(s, "cafe") {
		t.Errorf("export:\n%s", s)
	}
	if code := runAudit(ctx, []string{"export", "-data", data, "--since", "yesterday"}, &out, &errb); code != exitUsage {
		t.Errorf("bad --since: exit %d", code)
	}
}
