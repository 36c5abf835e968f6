package smtpproxy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
)

// The results journal, outbox/<id>/results, records each recipient's
// final reply from the downstream the moment it arrives: one appended
// JSON line per recipient, made durable before anything else happens
// (the QUIT, the database, the state file, a shutdown). A crash or a
// shutdown after the downstream said 250 then finds the recipient
// delivered when the entry is loaded again, instead of delivering it a
// second time. What is left is the window between the downstream taking
// the final dot and mugai reading its reply (RFC 5321 6.1 accepts such
// duplicates; RFC 1047 describes the window).
const resultsFile = "results"

// resultLine is one recipient's final outcome in the journal.
type resultLine struct {
	Addr   string `json:"addr"`
	Status string `json:"status"`
	Reply  string `json:"reply,omitempty"`
}

// record appends the final results (delivered or failed) to the entry's
// journal and passes the data folder's barrier, which makes the journal
// and its name durable with one syncfs shared by every delivery
// recording meanwhile (barrier.go). Deferred results are not final and
// are left to the state file.
func (o *outbox) record(id string, results map[string]result) error {
	lines := journalLines(results)
	if len(lines) == 0 {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(o.entryDir(id), resultsFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(lines)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return o.durable.Sync()
}

// journalLines are the journal's lines for the final results, in
// address order; deferred results have none.
func journalLines(results map[string]result) []byte {
	var b bytes.Buffer
	addrs := make([]string, 0, len(results))
	for a := range results {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	for _, a := range addrs {
		res := results[a]
		if st := res.status(); st != StatusPending {
			line, _ := json.Marshal(resultLine{Addr: a, Status: st, Reply: res.reply})
			b.Write(append(line, '\n'))
		}
	}
	return b.Bytes()
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

// applyResults marks the recipients the journal has final results for.
// A torn last line (a power loss mid-write) is skipped: that recipient
// is still pending and is tried again.
func (o *outbox) applyResults(e *Entry) {
	f, err := os.Open(filepath.Join(o.entryDir(e.ID), resultsFile))
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		var l resultLine
		if json.Unmarshal(sc.Bytes(), &l) != nil || (l.Status != StatusDelivered && l.Status != StatusFailed) {
			continue
		}
		for _, rc := range e.Rcpts {
			if rc.Addr == l.Addr && rc.Status == StatusPending {
				rc.Status, rc.Reply = l.Status, l.Reply
			}
		}
	}
}
