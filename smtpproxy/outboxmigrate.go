package smtpproxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mugai-project/mugai/internal/fsutil"
)

// The layouts of entries queued by earlier versions of mugai, each a
// folder outbox/<id>/:
//
//	entry         the first state line, then the message (as today's
//	              entry file)
//	message.eml   the message alone, with its state in state.json only
//	state.json    the changed state (today's <id>.state)
//	results       the entry's own results journal (today's lines of
//	              results.log)
const (
	oldEntryFile   = "entry"
	oldMessageFile = "message.eml"
	oldStateFile   = "state.json"
	oldResultsFile = "results"
)

// migrateFolders moves the entries earlier versions kept as folders to
// today's layout, when the relay opens its outbox and before anything
// reads it (fsutil.MigrateFolders: every step is a rename or redone
// whole, and the folders go only once the journal and the new names are
// durable).
func (o *outbox) migrateFolders() error {
	return fsutil.MigrateFolders(o.dir, validID, o.migrateFolder, o.durable.Sync)
}

// migrateFolder moves the contents of entry id's folder, set aside as
// old, into the outbox.
func (o *outbox) migrateFolder(id, old string) error {
	if err := fsutil.RenameIfThere(filepath.Join(old, oldStateFile), o.statePath(id)); err != nil {
		return err
	}
	if err := fsutil.RenameIfThere(filepath.Join(old, oldEntryFile), o.entryPath(id)); err != nil {
		return err
	}
	if !o.exists(id) {
		if err := o.migrateMessage(id, old); err != nil {
			return err
		}
	}
	// The journal lines last, once the entry is in place: a compaction
	// keeps only the lines of entries that are.
	if f, err := os.Open(filepath.Join(old, oldResultsFile)); err == nil {
		lines := readResultLines(f, id)
		f.Close()
		if len(lines) > 0 {
			return o.results.add(o, lines)
		}
	}
	return nil
}

// migrateMessage makes the entry file of a folder old with message.eml
// and state.json (by now <id>.state).
func (o *outbox) migrateMessage(id, old string) error {
	msg, err := os.Open(filepath.Join(old, oldMessageFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil // nothing to deliver: the folder goes
	}
	if err != nil {
		return err
	}
	defer msg.Close()
	// The entry file starts with the state, on one line.
	state, err := os.ReadFile(o.statePath(id))
	if err != nil {
		return err
	}
	var line bytes.Buffer
	if err := json.Compact(&line, state); err != nil {
		return err
	}
	line.WriteByte('\n')
	tmp := filepath.Join(o.dir, "tmp", id+".migrate")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := fsutil.FillSync(f, io.MultiReader(&line, msg)); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, o.entryPath(id))
}
