package smtpproxy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mugai-project/mugai/internal/fsutil"
	"github.com/mugai-project/mugai/internal/ids"
)

// Entry kinds.
const (
	KindMessage = "message" // the sanitized message, to LGWAN
	KindNotice  = "notice"  // the could-not-sanitize notice, to LGWAN
	KindDSN     = "dsn"     // a delivery status notification, to the Internet sender
	KindRelease = "release" // an original released by an administrator, to LGWAN
)

// Recipient states.
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
)

// Entry is one outbox entry's delivery state: the first line of the
// entry file outbox/<id>, then outbox/<id>.state once it changes. The
// message itself follows that first line and never changes.
type Entry struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// From is the envelope sender for delivery: the original sender for
	// a sanitized message, null for notices and DSNs.
	From string `json:"from"`
	// OrigFrom is the sender of the message that came in, for DSNs.
	OrigFrom string       `json:"orig_from"`
	Rcpts    []*RcptState `json:"rcpts"`
	UTF8     bool         `json:"smtputf8,omitempty"`
	// Created is when the message was accepted: the queue lifetime
	// counts from it.
	Created     time.Time `json:"created"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	LastError   string    `json:"last_error,omitempty"`
	// Held is set when the entry cannot be delivered and waits for an
	// administrator (a DSN with no return path configured): the failed
	// list.
	Held bool `json:"held,omitempty"`
	// DSNs counts the DSNs queued for this entry, so that a redone
	// step queues the same one again (an idempotent ID).
	DSNs int `json:"dsns,omitempty"`
}

// RcptState is one recipient's delivery state.
type RcptState struct {
	Addr   string `json:"addr"`
	Status string `json:"status"`
	Reply  string `json:"reply,omitempty"` // last reply or error, one line
}

func (e *Entry) addrs() []string {
	out := make([]string, len(e.Rcpts))
	for i, r := range e.Rcpts {
		out[i] = r.Addr
	}
	return out
}

func (e *Entry) pending() []*RcptState {
	var out []*RcptState
	for _, r := range e.Rcpts {
		if r.Status == StatusPending {
			out = append(out, r)
		}
	}
	return out
}

// outbox is the folder of entries to deliver.
type outbox struct {
	dir string
	// dirSync fsyncs the folder once for every entry renamed into or
	// out of it in the same few milliseconds.
	dirSync *fsutil.FolderSync
	// durable is the barrier of the data folder's file system, shared
	// with the spool and processing (barrier.go).
	durable interface{ Sync() error }
	results journal // the downstream's final replies (results.go)
	spares  spares  // files of delivered entries, written over (spares.go)
}

func newOutbox(dir string) *outbox {
	o := &outbox{dir: dir, dirSync: fsutil.NewFolderSync(dir), durable: fsutil.NewFileSystemSync(dir)}
	o.results.name = filepath.Join(dir, journalFile)
	o.spares.dir = filepath.Join(dir, "tmp")
	return o
}

// An entry is one file when it is queued, outbox/<id>: its first state
// as one JSON line, then the message, which never changes (one file and
// one inode, as in the spool). A changed state is written beside it, in
// outbox/<id>.state, which is read instead from then on. Neither name
// is a folder: a folder per entry was an inode more to allocate and
// free for every message (outboxmigrate.go turns the folders of earlier
// versions into files).
const stateSuffix = ".state"

// maxStateLine bounds an entry's first line.
const maxStateLine = 4 << 20

// openOutbox opens the relay's outbox: what a crash left in its
// temporary folder goes, entries of earlier versions are moved to
// today's layout, and the results journal is read and compacted.
func openOutbox(dir string) (*outbox, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return nil, err
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "tmp"))
	for _, e := range ents {
		os.RemoveAll(filepath.Join(dir, "tmp", e.Name()))
	}
	o := newOutbox(dir)
	o.spares.keep = true // the relay's own outbox: it runs long enough
	if err := o.migrateFolders(); err != nil {
		return nil, fmt.Errorf("outbox: moving entries to the one-file layout: %w", err)
	}
	// A state whose entry is gone (a crash between the two removals)
	// would be taken for the state of a new entry under its ID.
	names, _ := filepath.Glob(filepath.Join(dir, "*"+stateSuffix))
	for _, n := range names {
		if !o.exists(strings.TrimSuffix(filepath.Base(n), stateSuffix)) {
			os.Remove(n)
		}
	}
	if err := o.results.open(o); err != nil {
		return nil, fmt.Errorf("outbox: the results journal: %w", err)
	}
	return o, nil
}

// OpenOutbox opens the outbox folder for the command-line tools.
func OpenOutbox(dir string) (*Outbox, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	o := newOutbox(dir)
	if err := o.results.read(); err != nil {
		return nil, err
	}
	return &Outbox{o: o}, nil
}

func (o *outbox) entryPath(id string) string { return filepath.Join(o.dir, id) }
func (o *outbox) statePath(id string) string { return o.entryPath(id) + stateSuffix }

func (o *outbox) exists(id string) bool {
	fi, err := os.Lstat(o.entryPath(id))
	return err == nil && fi.Mode().IsRegular()
}

// put writes a new entry in the temporary folder and moves it into
// place. An entry that exists already is left as it is.
func (o *outbox) put(e *Entry, msg io.Reader) error {
	tmp, err := o.stage(e, msg, true)
	if err != nil || tmp == "" {
		return err
	}
	return o.place(tmp, e.ID, true)
}

// entryContent is what an entry file holds: its first state as one
// JSON line (JSON escapes line breaks), then the message.
func entryContent(e *Entry, msg io.Reader) (io.Reader, error) {
	state, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return io.MultiReader(bytes.NewReader(append(state, '\n')), msg), nil
}

// stage writes a new entry in the temporary folder, fsynced when
// durable, and returns its name for place; "" if the entry exists
// already. An entry staged without fsync must be made durable by the
// caller's barrier before place.
func (o *outbox) stage(e *Entry, msg io.Reader, durable bool) (string, error) {
	content, err := entryContent(e, msg)
	if err != nil {
		return "", err
	}
	return o.stageFile(e.ID, content, durable)
}

// stageFile is stage for an entry file's whole content (entryContent).
func (o *outbox) stageFile(id string, content io.Reader, durable bool) (string, error) {
	if o.exists(id) {
		return "", nil
	}
	tmp := filepath.Join(o.dir, "tmp", id+"-"+ids.Token())
	f := o.spares.take(tmp)
	if f == nil {
		var err error
		if f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return "", err
		}
	}
	n, err := copyPooled(f, content)
	if err == nil {
		err = f.Truncate(n) // a spare's own bytes past the new entry's
	}
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// place moves a staged entry into the outbox, durably before it returns
// when durable (else the caller's next barrier makes it so). It is a
// hard link, not a rename, so that an entry placed meanwhile under the
// same ID is never replaced; a file system without hard links gets the
// rename.
func (o *outbox) place(tmp, id string, durable bool) error {
	defer os.Remove(tmp)
	err := os.Link(tmp, o.entryPath(id))
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		if err = os.Rename(tmp, o.entryPath(id)); err != nil {
			return err
		}
	}
	if !durable {
		return nil
	}
	return o.dirSync.Sync()
}

func (o *outbox) load(id string) (*Entry, error) {
	b, err := os.ReadFile(o.statePath(id))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		b, err = o.firstState(id)
	case err == nil && !o.exists(id):
		// The state an attempt under way saved after the entry was
		// deleted: the entry is gone, and its state goes too.
		os.Remove(o.statePath(id))
		return nil, fs.ErrNotExist
	}
	if err != nil {
		return nil, err
	}
	var e Entry
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("outbox %s: %w", id, err)
	}
	if e.ID != id {
		return nil, fmt.Errorf("outbox %s: inconsistent state", id)
	}
	o.applyResults(&e)
	return &e, nil
}

// save replaces an entry's state atomically.
func (o *outbox) save(e *Entry) error {
	return writeJSONSync(o.statePath(e.ID), e)
}

// openEntry opens the entry file and reads its first line, the state;
// the message follows it. The caller closes the file.
func (o *outbox) openEntry(id string) (*os.File, []byte, error) {
	f, err := os.Open(o.entryPath(id))
	if err != nil {
		return nil, nil, err
	}
	line, err := bufio.NewReader(io.LimitReader(f, maxStateLine)).ReadBytes('\n')
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("outbox %s: reading the state line: %w", id, err)
	}
	// A file opened just as its entry was finished may be a spare
	// written over by the next entry by now (spares.go).
	var head struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(line, &head) != nil || head.ID != id {
		f.Close()
		return nil, nil, fmt.Errorf("outbox %s: inconsistent state", id)
	}
	return f, line, nil
}

// firstState is the state the entry was queued with.
func (o *outbox) firstState(id string) ([]byte, error) {
	f, line, err := o.openEntry(id)
	if err != nil {
		return nil, err
	}
	f.Close()
	return line, nil
}

// open returns an entry's message, which the caller closes.
func (o *outbox) open(id string) (io.ReadCloser, error) {
	f, line, err := o.openEntry(id)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	off := int64(len(line))
	return struct {
		io.Reader
		io.Closer
	}{io.NewSectionReader(f, off, fi.Size()-off), f}, nil
}

// remove takes an entry out of the outbox in one rename, made durable
// before it returns.
func (o *outbox) remove(id string) error {
	gone, err := o.unlink(id)
	if err != nil || gone == "" {
		return err
	}
	if err := o.dirSync.Sync(); err != nil {
		return err
	}
	return o.drop(id, gone)
}

// removeDone takes a finished entry out of the outbox: every recipient
// has its final result in the results journal.
//
// QUIRK: the removal is not fsynced. A process crash cannot undo it (the
// kernel has it); a power loss can, and then the entry comes back with
// its journal lines, which finish it again without delivering it again
// (the same window as the journal's own, results.go). One fsync less
// per message.
func (o *outbox) removeDone(id string) error {
	gone, err := o.unlink(id)
	if err != nil || gone == "" {
		return err
	}
	return o.drop(id, gone)
}

// unlink renames an entry out of the outbox into tmp and returns its new
// name, "" if it was not there.
func (o *outbox) unlink(id string) (string, error) {
	gone := filepath.Join(o.dir, "tmp", id+".del-"+ids.Token())
	if err := os.Rename(o.entryPath(id), gone); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return "", err
	}
	return gone, nil
}

// drop removes what is left of an entry that unlink took out: its
// file, its changed state and its journal lines.
func (o *outbox) drop(id, gone string) error {
	if err := os.Remove(o.statePath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	o.results.forget(id)
	return o.spares.put(gone)
}

func (o *outbox) list() ([]string, error) {
	ids, err := listIDs(o.dir)
	sort.Strings(ids)
	return ids, err
}

func writeJSONSync(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileSync(name, append(b, '\n'), 0o600)
}

// Outbox is the delivery queue as the command-line tools see it. Changes
// made here while the server runs are picked up at its next scan.
type Outbox struct{ o *outbox }

// List returns every entry, oldest ID first.
func (q *Outbox) List() ([]*Entry, error) {
	ids, err := q.o.list()
	if err != nil {
		return nil, err
	}
	var out []*Entry
	for _, id := range ids {
		if e, err := q.o.load(id); err == nil {
			out = append(out, e)
		}
	}
	return out, nil
}

// Get returns one entry and its message, which the caller closes.
func (q *Outbox) Get(id string) (*Entry, io.ReadCloser, error) {
	if !validID(id) {
		return nil, nil, fs.ErrNotExist
	}
	e, err := q.o.load(id)
	if err != nil {
		return nil, nil, err
	}
	f, err := q.o.open(id)
	return e, f, err
}

// Retry makes an entry due now, and takes a held entry off the failed
// list.
func (q *Outbox) Retry(id string) error {
	if !validID(id) {
		return fs.ErrNotExist
	}
	e, err := q.o.load(id)
	if err != nil {
		return err
	}
	e.NextAttempt, e.Held = time.Time{}, false
	return q.o.save(e)
}

func validID(id string) bool {
	if id == "" || len(id) > 80 || id == "tmp" {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
