package smtpproxy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"sort"
	"sync"

	"github.com/mugai-project/mugai/internal/fsutil"
)

// The results journal, outbox/results.log, records each recipient's
// final reply from the downstream the moment it arrives: one appended
// JSON line per recipient, made durable before anything else happens
// (the QUIT, the database, the state file, a shutdown). A crash or a
// shutdown after the downstream said 250 then finds the recipient
// delivered when the entry is loaded again, instead of delivering it a
// second time. What is left is the window between the downstream taking
// the final dot and mugai reading its reply (RFC 5321 6.1 accepts such
// duplicates; RFC 1047 describes the window).
//
// One journal for every entry, rather than a file beside each: a file
// per message was an inode more to allocate and free for each. The
// lines of the entries still in the outbox are kept in memory; the
// journal is rewritten with only those when it has grown past
// compactAt, and at every start.
const journalFile = "results.log"

// compactAt is the journal size past which it is rewritten.
const compactAt = 1 << 20

// resultLine is one recipient's final outcome in the journal.
type resultLine struct {
	ID     string `json:"id,omitempty"`
	Addr   string `json:"addr"`
	Status string `json:"status"`
	Reply  string `json:"reply,omitempty"`
}

// journal is the results journal of one outbox.
type journal struct {
	name string

	mu    sync.Mutex
	size  int64                   // of the file, as far as this process wrote it
	lines map[string][]resultLine // entry ID → its final results
}

// record appends the final results (delivered or failed) to the
// journal and passes the data folder's barrier, which makes them
// durable with one syncfs shared by every delivery recording meanwhile
// (barrier.go). Deferred results are not final and are left to the
// state file.
func (o *outbox) record(id string, results map[string]result) error {
	addrs := make([]string, 0, len(results))
	for a := range results {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	var lines []resultLine
	for _, a := range addrs {
		res := results[a]
		l := resultLine{ID: id, Addr: a, Status: res.status(), Reply: res.reply}
		if l.Status != StatusPending {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return nil
	}
	if err := o.results.add(o, lines); err != nil {
		return err
	}
	return o.durable.Sync()
}

// status is the recipient state a result leaves: pending for a
// deferred one.
func (res result) status() string {
	switch {
	case res.ok:
		return StatusDelivered
	case res.permanent:
		return StatusFailed
	}
	return StatusPending
}

// add appends lines to the journal file and to memory, compacting the
// file first when it has grown past compactAt.
func (j *journal) add(o *outbox, lines []resultLine) error {
	var b bytes.Buffer
	for _, l := range lines {
		line, _ := json.Marshal(l)
		b.Write(append(line, '\n'))
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.size > compactAt {
		if err := j.compact(o); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(j.name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	n, err := f.Write(b.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	j.size += int64(n)
	if err != nil {
		return err
	}
	if j.lines == nil {
		j.lines = map[string][]resultLine{}
	}
	for _, l := range lines {
		j.lines[l.ID] = append(j.lines[l.ID], l)
	}
	return nil
}

// forget drops the lines of an entry that left the outbox from memory;
// the next compaction drops them from the file.
func (j *journal) forget(id string) {
	j.mu.Lock()
	delete(j.lines, id)
	j.mu.Unlock()
}

// read loads the journal file into memory, in place of what memory
// held. A torn last line (a power
// loss mid-write) is skipped: that recipient is still pending and is
// tried again.
func (j *journal) read() error {
	f, err := os.Open(j.name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	j.mu.Lock()
	defer j.mu.Unlock()
	j.lines = map[string][]resultLine{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		var l resultLine
		if json.Unmarshal(sc.Bytes(), &l) != nil || l.ID == "" || (l.Status != StatusDelivered && l.Status != StatusFailed) {
			continue
		}
		j.lines[l.ID] = append(j.lines[l.ID], l)
	}
	return sc.Err()
}

// open reads the journal and rewrites it with the lines of the entries
// still in the outbox: what the relay's run starts from.
func (j *journal) open(o *outbox) error {
	if err := j.read(); err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.compact(o)
}

// compact rewrites the journal with the lines of the entries still in
// the outbox, durably and atomically (fsutil.WriteFileSync). The
// barrier first makes the removals of the entries whose lines go
// durable: a power loss cannot bring back an entry without its lines.
func (j *journal) compact(o *outbox) error {
	if err := o.durable.Sync(); err != nil {
		return err
	}
	var b bytes.Buffer
	for id, lines := range j.lines {
		if !o.exists(id) {
			delete(j.lines, id)
			continue
		}
		for _, l := range lines {
			line, _ := json.Marshal(l)
			b.Write(append(line, '\n'))
		}
	}
	if err := fsutil.WriteFileSync(j.name, b.Bytes(), 0o600); err != nil {
		return err
	}
	j.size = int64(b.Len())
	return nil
}

// applyResults marks the recipients the journal has final results for.
func (o *outbox) applyResults(e *Entry) {
	o.results.mu.Lock()
	defer o.results.mu.Unlock()
	for _, l := range o.results.lines[e.ID] {
		for _, rc := range e.Rcpts {
			if rc.Addr == l.Addr && rc.Status == StatusPending {
				rc.Status, rc.Reply = l.Status, l.Reply
			}
		}
	}
}

// readResultLines parses a journal of one entry, as earlier versions
// kept beside it (outboxmigrate.go).
func readResultLines(r io.Reader, id string) []resultLine {
	var out []resultLine
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		var l resultLine
		if json.Unmarshal(sc.Bytes(), &l) != nil || (l.Status != StatusDelivered && l.Status != StatusFailed) {
			continue
		}
		l.ID = id
		out = append(out, l)
	}
	return out
}
