package smtpproxy

import (
	"context"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/meta/pgtest"
	"github.com/mugai-project/mugai/internal/store"
)

// TestPostgresMetadata: with its metadata in PostgreSQL, as on a
// cluster node, the relay accepts a message, sanitizes it, delivers it
// to each recipient and records every step there.
func TestPostgresMetadata(t *testing.T) {
	ctx := context.Background()
	md := postgresMeta(t)
	o := testOptions(t)
	r := listeningWith(t, o, md)
	serveRelay(t, r)

	rcpts := []string{"user@lg.example.jp", "two@lg.example.jp"}
	if err := sendMail(t, r.Addr().String(), "sender@example.com", rcpts, mixedMessage); err != nil {
		t.Fatal(err)
	}
	for _, rc := range rcpts {
		waitFor(t, "maildir delivery to "+rc, func() bool { return len(maildirFiles(t, r, rc)) == 1 })
		if got := maildirFiles(t, r, rc)[0]; strings.Contains(got, attachmentLine) {
			t.Fatal("the original's bytes were delivered")
		}
	}
	var m meta.Message
	waitFor(t, "state delivered in PostgreSQL", func() bool {
		ms, _ := md.Messages(ctx, meta.Filter{State: meta.Delivered})
		if len(ms) == 1 {
			m = ms[0]
		}
		return len(ms) == 1
	})
	if m.From != "sender@example.com" || len(m.To) != 2 || m.Outcome != "sanitized" || m.SHA256 == "" {
		t.Fatalf("row %+v", m)
	}
	att, err := md.Attempts(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	done := map[string]bool{}
	for _, a := range att {
		if a.Result == "delivered" {
			done[a.Rcpt] = true
		}
	}
	if len(done) != 2 {
		t.Fatalf("attempts %+v: want each recipient delivered", att)
	}
	if it, rc, err := r.quarantine.Get(ctx, m.ID); err != nil || it.State != store.Held {
		t.Fatalf("original not held: %v", err)
	} else {
		rc.Close()
	}
}

// postgresMeta is the metadata database in a new PostgreSQL database,
// closed when the test ends.
func postgresMeta(t *testing.T) meta.Store {
	t.Helper()
	_, md := postgresDB(t)
	return md
}

// postgresDB is postgresMeta with its database handle (for its Lead).
func postgresDB(t *testing.T) (*meta.DB, meta.Store) {
	t.Helper()
	ctx := context.Background()
	h, err := meta.OpenPostgres(ctx, pgtest.Start(t).NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	md, err := meta.NewPostgres(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	return h, md
}
