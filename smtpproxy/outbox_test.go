package smtpproxy

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readEntryMessage(t *testing.T, o *outbox, id string) string {
	t.Helper()
	f, err := o.open(id)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOutboxEntryOneFile: a queued entry is one file, its state line and
// then the message; a changed state is read from state.json, and the
// message stays as it was.
func TestOutboxEntryOneFile(t *testing.T) {
	o, err := openOutbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	msg := "Subject: 見積\r\nX-Note: \"a\nb\"\r\n\r\nbody\r\n"
	e := &Entry{ID: "e1", Kind: KindMessage, From: "a@example.com", Created: time.Now().UTC(),
		Rcpts: []*RcptState{{Addr: "u@lg.example.jp", Status: StatusPending, Reply: "451 line\nbreak"}}}
	if err := o.put(e, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(o.entryDir("e1"))
	if len(ents) != 1 || ents[0].Name() != entryFile {
		t.Fatalf("entry folder holds %v, want only %s", ents, entryFile)
	}
	if !o.exists("e1") {
		t.Fatal("the entry does not exist")
	}
	got, err := o.load("e1")
	if err != nil || got.From != e.From || len(got.Rcpts) != 1 || got.Rcpts[0].Reply != e.Rcpts[0].Reply {
		t.Fatalf("loaded %+v, %v", got, err)
	}
	if m := readEntryMessage(t, o, "e1"); m != msg {
		t.Fatalf("message %q", m)
	}
	got.Attempts, got.LastError = 2, "451 try later"
	if err := o.save(got); err != nil {
		t.Fatal(err)
	}
	again, err := o.load("e1")
	if err != nil || again.Attempts != 2 || again.LastError != "451 try later" {
		t.Fatalf("after save: %+v, %v", again, err)
	}
	if m := readEntryMessage(t, o, "e1"); m != msg {
		t.Fatalf("message after save %q", m)
	}
}

// TestOutboxEntryEarlierLayout: an entry queued by an earlier version
// (state.json and message.eml) is still loaded and delivered as it is.
func TestOutboxEntryEarlierLayout(t *testing.T) {
	o, err := openOutbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := o.entryDir("old1")
	os.Mkdir(dir, 0o700)
	os.WriteFile(filepath.Join(dir, stateFile), []byte(`{"id":"old1","kind":"message","from":"a@example.com","rcpts":[{"addr":"u@lg.example.jp","status":"pending"}]}`), 0o600)
	msg := "Subject: old\r\n\r\nbody\r\n"
	os.WriteFile(filepath.Join(dir, messageFile), []byte(msg), 0o600)
	if !o.exists("old1") {
		t.Fatal("the entry does not exist")
	}
	e, err := o.load("old1")
	if err != nil || e.From != "a@example.com" || len(e.pending()) != 1 {
		t.Fatalf("loaded %+v, %v", e, err)
	}
	if m := readEntryMessage(t, o, "old1"); m != msg {
		t.Fatalf("message %q", m)
	}
}
