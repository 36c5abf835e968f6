package smtpproxy

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Envelope is what the SMTP transaction said about a message (RFC 5321
// 3.3), kept beside it from the spool to the outbox.
type Envelope struct {
	ID       string    `json:"id"`
	From     string    `json:"from"` // "" is the null reverse-path
	To       []string  `json:"to"`
	ClientIP string    `json:"client_ip,omitempty"`
	HELO     string    `json:"helo,omitempty"`
	TLS      string    `json:"tls,omitempty"` // version and cipher suite, empty without TLS
	UTF8     bool      `json:"smtputf8,omitempty"`
	Received time.Time `json:"received"`
}

// errNoSpace marks a write that failed for lack of space.
var errNoSpace = errors.New("smtpproxy: no space left in the spool")

func isDiskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, errNoSpace)
}

// spool is the folder of accepted messages.
type spool struct {
	dir     string // spool/
	hooks   *hooks
	durable interface{ Sync() error } // the data folder's barrier (barrier.go)
	// publish, if set, commits a message into JetStream instead
	// (jobs.go).
	publish func(*spoolWrite) error
}

func (s *spool) incoming() string { return filepath.Join(s.dir, "incoming") }
func (s *spool) tmp() string      { return filepath.Join(s.dir, "tmp") }
func (s *spool) tries() string    { return filepath.Join(s.dir, "tries") }
func (s *spool) jobs() string     { return filepath.Join(s.dir, "jobs") }

// maxTries is how many starts of processing on one message may end
// without returning: a message whose processing kills the process (a
// parser that overflows its stack cannot be recovered) would otherwise
// kill it again at every restart; past this count it is withheld without
// being parsed. A start that returns, even cut short by a graceful
// shutdown, is not counted.
const maxTries = 3

// startTry records that processing of id starts, and returns how many
// earlier starts crashed: a mark tries/<id>.<n> is added while
// processing runs and taken away again by endTry when it returns, so
// the marks that stay are the starts that never returned.
//
// A mark is a hard link to the spool file: a name, with no file of its
// own to allocate, write and free for each message (on ext4 without a
// journal, allocating inodes among many freed a moment ago was the
// largest single cost of processing); a file system without hard links
// gets an empty file.
//
// QUIRK: the marks are not fsynced. What they count, a parser killing
// the process, leaves the kernel's copy intact; only a power loss can
// lose one, and then the message gets one attempt more.
func (s *spool) startTry(id string) (int, error) {
	n := 0
	for n < maxTries {
		if _, err := os.Lstat(s.tryMark(id, n+1)); err != nil {
			break
		}
		n++
	}
	if n == maxTries {
		return n, nil // withheld without parsing: nothing to count
	}
	mark := s.tryMark(id, n+1)
	if err := os.Link(filepath.Join(s.incoming(), id), mark); err != nil {
		return n, os.WriteFile(mark, nil, 0o600)
	}
	return n, nil
}

func (s *spool) tryMark(id string, n int) string {
	return filepath.Join(s.tries(), id+"."+strconv.Itoa(n))
}

// endTry takes back the start that startTry counted: processing returned
// (done, failed or interrupted), it did not crash. crashes is what
// startTry returned.
func (s *spool) endTry(id string, crashes int) { os.Remove(s.tryMark(id, crashes+1)) }

// doneTries forgets the count once the message has left the spool.
func (s *spool) doneTries(id string) {
	for n := 1; n <= maxTries; n++ {
		os.Remove(s.tryMark(id, n))
	}
}

func (s *spool) init() error {
	for _, d := range []string{s.incoming(), s.tmp(), s.tries()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	// Whatever a crash left in tmp was never acknowledged with 250.
	ents, _ := os.ReadDir(s.tmp())
	for _, e := range ents {
		os.Remove(filepath.Join(s.tmp(), e.Name()))
	}
	// Marks of messages that left the spool (a crash between the two
	// removals) would keep their bytes: they go. So do the counts that
	// earlier versions kept in tries/<id> files: such a message gets
	// its attempts anew.
	ents, _ = os.ReadDir(s.tries())
	for _, e := range ents {
		id, _, marked := strings.Cut(e.Name(), ".")
		if _, err := os.Lstat(filepath.Join(s.incoming(), id)); !marked || errors.Is(err, fs.ErrNotExist) {
			os.Remove(filepath.Join(s.tries(), e.Name()))
		}
	}
	return nil
}

// spoolWrite is one message being written.
type spoolWrite struct {
	f   *os.File
	w   io.Writer
	env *Envelope
	s   *spool
}

// create starts a spool file: the envelope as one JSON line, then the
// message.
func (s *spool) create(env *Envelope) (*spoolWrite, error) {
	f, err := os.CreateTemp(s.tmp(), env.ID+".*")
	if err != nil {
		return nil, err
	}
	sw := &spoolWrite{f: f, w: f, env: env, s: s}
	if s.hooks != nil && s.hooks.spoolWriter != nil {
		sw.w = s.hooks.spoolWriter(f)
	}
	b, err := json.Marshal(env)
	if err == nil {
		_, err = sw.w.Write(append(b, '\n'))
	}
	if err != nil {
		sw.abort()
		return nil, err
	}
	return sw, nil
}

func (sw *spoolWrite) Write(p []byte) (int, error) { return sw.w.Write(p) }

// abort removes the half-written file.
func (sw *spoolWrite) abort() {
	sw.f.Close()
	os.Remove(sw.f.Name())
}

// commit renames the file into incoming and passes the data folder's
// barrier, which makes the file and its name durable with one syncfs
// shared by every session committing meanwhile: only then may the
// message be acknowledged. A crash before the barrier has passed may
// leave the file in incoming unacknowledged: the client sends it again,
// as after a crash between an fsync and the 250.
func (sw *spoolWrite) commit() (err error) {
	if sw.s.publish != nil {
		return sw.s.publish(sw)
	}
	defer func() {
		if err != nil {
			sw.abort()
		}
	}()
	if err := sw.f.Close(); err != nil {
		return err
	}
	final := filepath.Join(sw.s.incoming(), sw.env.ID)
	if err := os.Rename(sw.f.Name(), final); err != nil {
		return err
	}
	if err := sw.s.durable.Sync(); err != nil {
		os.Remove(final)
		return err
	}
	return nil
}

// open reads a spooled message: its envelope and a reader positioned at
// the message. The caller closes the file.
func openSpooled(name string) (*Envelope, *os.File, *io.SectionReader, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, nil, err
	}
	br := spoolReaders.Get().(*bufio.Reader)
	br.Reset(f)
	defer func() { br.Reset(nil); spoolReaders.Put(br) }()
	line, err := br.ReadSlice('\n')
	if err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("smtpproxy: %s: reading the envelope: %w", filepath.Base(name), err)
	}
	var env Envelope
	if err := json.Unmarshal(line, &env); err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("smtpproxy: %s: envelope: %w", filepath.Base(name), err)
	}
	off := int64(len(line))
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, nil, err
	}
	return &env, f, io.NewSectionReader(f, off, fi.Size()-off), nil
}

// listIDs returns the entries of a folder that look like message IDs.
func listIDs(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".") || strings.Contains(n, ".") || n == "tmp" {
			continue
		}
		ids = append(ids, n)
	}
	return ids, nil
}
