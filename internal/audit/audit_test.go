package audit

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/meta/metatest"
)

// newLog is a Log on db (metatest.Each gives one of each kind).
func newLog(t *testing.T, db *meta.DB) (*Log, string) {
	t.Helper()
	jl := filepath.Join(t.TempDir(), "audit", "a.jsonl")
	l, err := New(context.Background(), db, jl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, jl
}

func TestRecordFilterExport(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		l, jl := newLog(t, db)
		ctx := context.Background()
		t0 := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
		events := []Event{
			{Time: t0, User: "alice", IP: "192.0.2.1", Action: Login},
			{Time: t0.Add(time.Minute), User: "alice", Action: Upload, Item: "i1", Name: "=HYPERLINK(\"http://evil\")", SHA256In: "aa"},
			{Time: t0.Add(2 * time.Hour), User: "bob", Action: Download, Item: "i1", SHA256In: "aa", SHA256Out: "bb"},
		}
		for _, e := range events {
			if err := l.Record(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name string
			f    Filter
			want int
		}{
			{"all", Filter{}, 3},
			{"since", Filter{Since: t0.Add(time.Hour)}, 1},
			{"until", Filter{Until: t0.Add(time.Hour)}, 2},
			{"user", Filter{User: "alice"}, 2},
			{"item and action", Filter{Item: "i1", Action: Download}, 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := l.Events(ctx, tc.f)
				if err != nil || len(got) != tc.want {
					t.Errorf("%d events, %v; want %d", len(got), err, tc.want)
				}
			})
		}
		var buf bytes.Buffer
		if err := l.Export(ctx, &buf, Filter{}, "csv"); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\uFEFF"))).ReadAll()
		if err != nil || len(rows) != 4 {
			t.Fatalf("%d rows, %v", len(rows), err)
		}
		if got := rows[2][7]; !strings.HasPrefix(got, "'=") {
			t.Errorf("CSV formula injection: name exported as %q", got)
		}
		if rows[3][9] != "bb" || rows[3][3] != "bob" {
			t.Errorf("download row %v", rows[3])
		}
		buf.Reset()
		l.Export(ctx, &buf, Filter{}, "jsonl")
		if n := strings.Count(buf.String(), "\n"); n != 3 {
			t.Errorf("jsonl export: %d lines", n)
		}
		if err := l.Export(ctx, &buf, Filter{}, "xml"); err == nil {
			t.Error("unknown format accepted")
		}
		b, _ := os.ReadFile(jl)
		if n := bytes.Count(b, []byte("\n")); n != 3 || !bytes.Contains(b, []byte(`"action":"download"`)) {
			t.Errorf("JSON lines file: %q", b)
		}
	})
}
