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
// then the message, not a folder; a changed state is read from
// <id>.state, and the message stays as it was.
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
	if fi, err := os.Lstat(o.entryPath("e1")); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("the entry is not one file: %v, %v", fi, err)
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

// TestOutboxEntryEarlierLayouts: entries queued by earlier versions, as
// folders (state.json and message.eml; entry, state.json and their own
// results journal), are moved to the one-file layout when the outbox is
// opened, each delivered as it is, with the results it had.
func TestOutboxEntryEarlierLayouts(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "tmp"), 0o700)
	write := func(id, name, content string) {
		t.Helper()
		os.MkdirAll(filepath.Join(dir, id), 0o700)
		if err := os.WriteFile(filepath.Join(dir, id, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	msg1 := "Subject: old\r\n\r\nbody\r\n"
	write("old1", oldStateFile, "{\n  \"id\": \"old1\",\n  \"kind\": \"message\",\n  \"from\": \"a@example.com\",\n  \"rcpts\": [{\"addr\": \"u@lg.example.jp\", \"status\": \"pending\"}]\n}\n")
	write("old1", oldMessageFile, msg1)
	msg2 := "Subject: older\r\n\r\nbody two\r\n"
	write("old2", oldEntryFile, `{"id":"old2","kind":"message","from":"b@example.com","rcpts":[{"addr":"u@lg.example.jp","status":"pending"},{"addr":"v@lg.example.jp","status":"pending"}]}`+"\n"+msg2)
	write("old2", oldStateFile, `{"id":"old2","kind":"message","from":"b@example.com","attempts":1,"rcpts":[{"addr":"u@lg.example.jp","status":"pending"},{"addr":"v@lg.example.jp","status":"pending"}]}`)
	write("old2", oldResultsFile, `{"addr":"v@lg.example.jp","status":"delivered","reply":"250 ok"}`+"\n")
	o, err := openOutbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"old1", "old2"} {
		if fi, err := os.Lstat(o.entryPath(id)); err != nil || !fi.Mode().IsRegular() {
			t.Fatalf("%s is not one file: %v, %v", id, fi, err)
		}
	}
	e1, err := o.load("old1")
	if err != nil || e1.From != "a@example.com" || len(e1.pending()) != 1 {
		t.Fatalf("old1 loaded %+v, %v", e1, err)
	}
	if m := readEntryMessage(t, o, "old1"); m != msg1 {
		t.Fatalf("old1 message %q", m)
	}
	e2, err := o.load("old2")
	if err != nil || e2.Attempts != 1 || len(e2.pending()) != 1 || e2.pending()[0].Addr != "u@lg.example.jp" {
		t.Fatalf("old2 loaded %+v, %v: want the state.json state and v delivered from its journal", e2, err)
	}
	if m := readEntryMessage(t, o, "old2"); m != msg2 {
		t.Fatalf("old2 message %q", m)
	}
	// Opened again (the next start), the journal still has old2's line.
	o, err = openOutbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	if e2, err := o.load("old2"); err != nil || len(e2.pending()) != 1 {
		t.Fatalf("old2 after a restart %+v, %v", e2, err)
	}
}

// TestResultsJournalCompacted: the journal keeps the lines of entries
// still in the outbox; those of entries removed go when it is rewritten
// at the next open.
func TestResultsJournalCompacted(t *testing.T) {
	dir := t.TempDir()
	o, err := openOutbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a1", "a2"} {
		e := &Entry{ID: id, Kind: KindMessage, Rcpts: []*RcptState{{Addr: "u@lg.example.jp", Status: StatusPending}, {Addr: "v@lg.example.jp", Status: StatusPending}}}
		if err := o.put(e, strings.NewReader("Subject: x\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
		if err := o.record(id, map[string]result{"u@lg.example.jp": {ok: true, reply: "250 ok " + id}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.removeDone("a1"); err != nil {
		t.Fatal(err)
	}
	if _, err := openOutbox(dir); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, journalFile))
	if strings.Contains(string(b), `"a1"`) || !strings.Contains(string(b), "250 ok a2") {
		t.Fatalf("journal after the restart: %q, want a2's line only", b)
	}
	o, _ = openOutbox(dir)
	if e, err := o.load("a2"); err != nil || len(e.pending()) != 1 || e.pending()[0].Addr != "v@lg.example.jp" {
		t.Fatalf("a2 %+v, %v", e, err)
	}
}

// TestOutboxSpareWrittenOver: the file of a delivered entry is the next
// entry's, written over and cut to its length: no inode is freed, and
// nothing of the earlier message is left in the new one.
func TestOutboxSpareWrittenOver(t *testing.T) {
	o, err := openOutbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rcpts := func() []*RcptState { return []*RcptState{{Addr: "u@lg.example.jp", Status: StatusPending}} }
	long := "Subject: first\r\n\r\n" + strings.Repeat("the first message, delivered\r\n", 500)
	if err := o.put(&Entry{ID: "e1", Kind: KindMessage, Rcpts: rcpts()}, strings.NewReader(long)); err != nil {
		t.Fatal(err)
	}
	first, err := os.Lstat(o.entryPath("e1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := o.removeDone("e1"); err != nil {
		t.Fatal(err)
	}
	short := "Subject: second\r\n\r\nshort\r\n"
	if err := o.put(&Entry{ID: "e2", Kind: KindMessage, Rcpts: rcpts()}, strings.NewReader(short)); err != nil {
		t.Fatal(err)
	}
	second, err := os.Lstat(o.entryPath("e2"))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(first, second) {
		t.Error("the second entry is a new file, not the first one's")
	}
	if m := readEntryMessage(t, o, "e2"); m != short {
		t.Fatalf("second message %q", m)
	}
	if e, err := o.load("e2"); err != nil || e.ID != "e2" {
		t.Fatalf("second entry %+v, %v", e, err)
	}
}
