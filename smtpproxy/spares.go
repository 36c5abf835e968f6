package smtpproxy

import (
	"os"
	"path/filepath"
	"sync"

	"github.com/mugai-project/mugai/internal/ids"
)

// spares are the files of delivered entries, kept in outbox/tmp to be
// written over by the next entries instead of being freed, so that the
// relay's steady state frees no inode per message.
//
// QUIRK: on ext4 without a journal, allocating an inode skips every
// free inode of its group whose deletion is recent (a few seconds, five
// minutes while its inode table block is not yet written back), looking
// each one up (find_inode_bit, recently_deleted): with a message a
// second freed the allocator's scan grows with the rate, and it was the
// largest single cost of processing. The relay's other files per
// message are kept (the spool file as the original, the quarantine
// record), so recycling the outbox's ends the frees.
//
// What a spare held is a delivered message (sanitized, or a notice);
// it is written over, and cut to the new entry's length, before the
// entry is placed. A reader that opened the entry just before it was
// finished finds another entry's ID in the state line and stops
// (openEntry); one still reading the message then (mugai queue show)
// may see the next entry's bytes, where a removed file would have
// kept its own. Only the relay's outbox keeps spares, not the
// command-line tools'. At start, outbox/tmp is emptied, spares with
// it.
type spares struct {
	dir string // outbox/tmp

	mu    sync.Mutex
	names []string // nil when the outbox keeps no spares (the command-line tools)
	keep  bool
}

// maxSpares bounds the files kept: about one per entry in flight.
const maxSpares = 256

// take moves a spare to name and opens it for writing over, or returns
// nil if there is none (the caller then creates one).
func (s *spares) take(name string) *os.File {
	s.mu.Lock()
	n := len(s.names)
	if n == 0 {
		s.mu.Unlock()
		return nil
	}
	spare := s.names[n-1]
	s.names = s.names[:n-1]
	s.mu.Unlock()
	if err := os.Rename(spare, name); err != nil {
		os.Remove(spare)
		return nil
	}
	f, err := os.OpenFile(name, os.O_WRONLY, 0o600)
	if err != nil {
		os.Remove(name)
		return nil
	}
	return f
}

// put keeps the file gone (an entry taken out of the outbox) as a
// spare, or removes it when there are enough.
func (s *spares) put(gone string) error {
	s.mu.Lock()
	if !s.keep || len(s.names) >= maxSpares {
		s.mu.Unlock()
		return os.Remove(gone)
	}
	spare := filepath.Join(s.dir, "spare-"+ids.Token())
	s.names = append(s.names, spare)
	s.mu.Unlock()
	if err := os.Rename(gone, spare); err != nil {
		s.forget(spare)
		return os.Remove(gone)
	}
	return nil
}

func (s *spares) forget(spare string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, n := range s.names {
		if n == spare {
			s.names = append(s.names[:i], s.names[i+1:]...)
			return
		}
	}
}
