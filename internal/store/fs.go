package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mugai-project/mugai/internal/fsutil"
	"github.com/mugai-project/mugai/internal/ids"
)

// FS is a Quarantine in a local folder:
//
//	dir/items/<id>            its Item, as JSON: the item is there when this is
//	dir/items/<id>.original   the original, as received
//	dir/tmp/                  items being written or deleted
//
// An item is written original first and record last, each completely
// under a temporary name and then put in place in one step (a hard link
// or rename(2), atomic within a file system), and the folder fsynced: a
// crash leaves either no record or the whole item, and an original
// without a record is never listed and is removed by the next NewFS.
// Metadata changes are written beside and renamed over the record the
// same way. Deletion renames the record out of dir/items before
// removing the original. Whatever a crash leaves in dir/tmp is never
// listed and is removed by the next NewFS.
//
// Two files and no folder an item: each inode costs its allocation, and
// a message the relay holds costs only its record (the original is a
// link to the spool file). Folders of earlier versions, items/<id>/
// with original and item.json, are moved to this layout by NewFS
// (fsmigrate.go).
type FS struct {
	dir string
	// items fsyncs dir/items once for every item renamed into or out of
	// it in the same few milliseconds.
	items *fsutil.FolderSync
	now   func() time.Time
	mu    sync.Mutex // serializes metadata changes (SetState, Delete)
}

var (
	_ Quarantine = (*FS)(nil)
	_ Linker     = (*FS)(nil)
)

const (
	originalSuffix = ".original"
	maxItemJSON    = 16 << 20
)

// leftoverAge is how old a leftover must be for NewFS to remove it.
//
// QUIRK: only leftovers older than a minute go, in case another process
// shares the folder and is writing right now.
const leftoverAge = time.Minute

// NewFS opens (creating if needed) a quarantine in dir, moves items of
// earlier versions to today's layout and removes what an earlier crash
// left.
func NewFS(dir string) (*FS, error) {
	for _, d := range []string{dir, filepath.Join(dir, "items"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	s := &FS{dir: dir, items: fsutil.NewFolderSync(filepath.Join(dir, "items")), now: time.Now}
	if err := s.clean(); err != nil {
		return nil, err
	}
	return s, nil
}

// clean moves items of earlier versions to today's layout and removes
// what a crash left: in tmp, and originals without their records (a put
// cut before the record, or a delete cut after it).
func (s *FS) clean() error {
	tmp := filepath.Join(s.dir, "tmp")
	ents, err := os.ReadDir(tmp)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	for _, e := range ents {
		if s.old(e) {
			os.RemoveAll(filepath.Join(tmp, e.Name()))
		}
	}
	if err := s.migrateFolders(); err != nil {
		return fmt.Errorf("store: moving items to the two-file layout: %w", err)
	}
	ents, err = os.ReadDir(filepath.Join(s.dir, "items"))
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), originalSuffix)
		if !ok || !ValidID(id) || !s.old(e) {
			continue
		}
		if _, err := os.Lstat(s.recordPath(id)); errors.Is(err, fs.ErrNotExist) {
			os.Remove(s.originalPath(id))
		}
	}
	return nil
}

// old reports whether a leftover last changed longer than leftoverAge
// ago: by its inode's change time, which a link sets, since an
// original PutLink has just linked into place keeps the time its
// content was written.
func (s *FS) old(e fs.DirEntry) bool {
	info, err := e.Info()
	return err == nil && s.now().Sub(fsutil.Changed(info)) > leftoverAge
}

func (s *FS) recordPath(id string) string   { return filepath.Join(s.dir, "items", id) }
func (s *FS) originalPath(id string) string { return s.recordPath(id) + originalSuffix }

// Put implements Quarantine.
func (s *FS) Put(ctx context.Context, item Item, original io.Reader) (string, error) {
	item.Offset = 0
	return s.put(ctx, item, true, func(item *Item) error {
		tmp := filepath.Join(s.dir, "tmp", item.ID+".put-"+ids.Token())
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		defer os.Remove(tmp)
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(f, h), ctxReader{ctx, original})
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("store: writing the original: %w", err)
		}
		sum := hex.EncodeToString(h.Sum(nil))
		if item.SHA256 != "" && !strings.EqualFold(item.SHA256, sum) {
			return fmt.Errorf("%w: given %s, received %s", ErrCorrupt, item.SHA256, sum)
		}
		item.SHA256, item.Size = sum, n
		// Whatever is in place has no record (put looked): what a crash
		// left of a put, replaced.
		if err := os.Rename(tmp, s.originalPath(item.ID)); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		return nil
	})
}

// PutLink implements Linker: the original is a hard link to file, and
// nothing is fsynced (see Linker). An item left by a PutLink that a
// crash cut before the caller's barrier, whose record cannot be read, is
// replaced.
func (s *FS) PutLink(ctx context.Context, item Item, file string, offset int64) (string, error) {
	if item.SHA256 == "" || item.Size < 0 || offset < 0 {
		return "", errors.New("store: PutLink needs the original's SHA-256 and size")
	}
	if err := s.dropTorn(item.ID); err != nil {
		return "", err
	}
	item.Offset = offset
	return s.put(ctx, item, false, func(item *Item) error {
		// Whatever is in place has no record (put looked): what a crash
		// left of a put, replaced.
		to := s.originalPath(item.ID)
		err := os.Link(file, to)
		if errors.Is(err, fs.ErrExist) {
			if err = os.Remove(to); err == nil {
				err = os.Link(file, to)
			}
		}
		if err != nil {
			return fmt.Errorf("store: linking the original: %w", err)
		}
		return nil
	})
}

// dropTorn removes an item under id whose record cannot be read: what a
// crash left of a PutLink that was not yet made durable. Its caller
// holds the original to put it again.
func (s *FS) dropTorn(id string) error {
	if !ValidID(id) {
		return ErrInvalidID
	}
	if _, err := os.Lstat(s.recordPath(id)); err != nil {
		return nil
	}
	if _, err := s.read(id); err == nil {
		return nil
	}
	gone := filepath.Join(s.dir, "tmp", id+".torn-"+ids.Token())
	if err := os.Rename(s.recordPath(id), gone); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return os.Remove(gone)
}

// put stores an item: original puts the original in place and completes
// item; then the record is written under a temporary name and linked
// into place, which makes the item. When durable, both files and the
// folder are fsynced before put returns.
func (s *FS) put(ctx context.Context, item Item, durable bool, original func(item *Item) error) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := item.prepare(s.now); err != nil {
		return "", err
	}
	if _, err := os.Lstat(s.recordPath(item.ID)); err == nil {
		return "", ErrExists
	}
	if err := original(&item); err != nil {
		return "", err
	}
	b, err := json.Marshal(&item)
	if err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	tmp := filepath.Join(s.dir, "tmp", item.ID+".rec-"+ids.Token())
	if !durable {
		err = os.WriteFile(tmp, append(b, '\n'), 0o600)
	} else {
		err = fsutil.CreateSync(tmp, append(b, '\n'), 0o600)
	}
	if err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	defer os.Remove(tmp)
	// A link, not a rename: a record put meanwhile is never replaced.
	// A file system without hard links gets the rename.
	err = os.Link(tmp, s.recordPath(item.ID))
	if errors.Is(err, fs.ErrExist) {
		return "", ErrExists
	}
	if err != nil {
		if err := os.Rename(tmp, s.recordPath(item.ID)); err != nil {
			return "", fmt.Errorf("store: %w", err)
		}
	}
	if durable {
		if err := s.syncItems(); err != nil {
			return "", err
		}
	}
	return item.ID, nil
}

// Get implements Quarantine. The original's SHA-256 is checked once
// before Get returns and again as the caller reads it.
func (s *FS) Get(ctx context.Context, id string) (Item, io.ReadCloser, error) {
	it, err := s.read(id)
	if err != nil {
		return Item{}, nil, err
	}
	if it.State == Purged {
		return it, nil, ErrPurged
	}
	f, err := os.Open(s.originalPath(id))
	if err != nil {
		return Item{}, nil, fmt.Errorf("store: %s: %w", id, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return Item{}, nil, fmt.Errorf("store: %s: %w", id, err)
	}
	// The original is the file from Offset to its end.
	orig := func() io.Reader { return io.NewSectionReader(f, it.Offset, fi.Size()-it.Offset) }
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, orig()}); err != nil {
		f.Close()
		return Item{}, nil, fmt.Errorf("store: %s: %w", id, err)
	}
	if hex.EncodeToString(h.Sum(nil)) != it.SHA256 {
		f.Close()
		return Item{}, nil, fmt.Errorf("%w: item %s", ErrCorrupt, id)
	}
	return it, &checkedReader{r: orig(), f: f, h: sha256.New(), want: it.SHA256}, nil
}

// read loads an item's metadata.
func (s *FS) read(id string) (Item, error) {
	if !ValidID(id) {
		return Item{}, ErrInvalidID
	}
	f, err := os.Open(s.recordPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return Item{}, ErrNotFound
	}
	if err != nil {
		return Item{}, fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	var it Item
	if err := json.NewDecoder(io.LimitReader(f, maxItemJSON)).Decode(&it); err != nil {
		return Item{}, fmt.Errorf("store: %s: %w", id, err)
	}
	if it.ID != id || !it.State.valid() {
		return Item{}, fmt.Errorf("store: %s: inconsistent record", id)
	}
	return it, nil
}

// List implements Quarantine.
func (s *FS) List(ctx context.Context, f Filter) ([]Item, error) {
	ents, err := os.ReadDir(filepath.Join(s.dir, "items"))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var out []Item
	for _, e := range ents {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !e.Type().IsRegular() || !ValidID(e.Name()) {
			continue
		}
		it, err := s.read(e.Name())
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		if f.match(&it) {
			out = append(out, it)
		}
	}
	sortItems(out)
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// SetState implements Quarantine.
func (s *FS) SetState(ctx context.Context, id string, st State, by string) error {
	if !st.valid() {
		return fmt.Errorf("store: unknown state %q", st)
	}
	err := s.change(ctx, id, func(it *Item) error {
		if it.State == Purged && st != Purged {
			return ErrPurged
		}
		it.State, it.StateChanged, it.StateBy = st, s.now().UTC(), by
		return nil
	})
	if err != nil || st != Purged {
		return err
	}
	if err := os.Remove(s.originalPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// Describe implements Quarantine.
func (s *FS) Describe(ctx context.Context, id string, d Description) error {
	return s.change(ctx, id, func(it *Item) error { d.apply(it); return nil })
}

// change rewrites an item's record as fn says, under s.mu. The record
// changes before any original is removed: a crash after it leaves an
// original that is marked purged, never a held item without its
// original (a Delete meanwhile leaves nothing for the removal to find).
func (s *FS) change(ctx context.Context, id string, fn func(*Item) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	it, err := s.read(id)
	if err != nil {
		return err
	}
	if err := fn(&it); err != nil {
		return err
	}
	return writeJSON(s.recordPath(id), &it)
}

// Delete implements Quarantine.
func (s *FS) Delete(ctx context.Context, id string) error {
	if !ValidID(id) {
		return ErrInvalidID
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	gone := filepath.Join(s.dir, "tmp", id+".del-"+ids.Token())
	if err := os.Rename(s.recordPath(id), gone); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ErrNotFound
		}
		return fmt.Errorf("store: %w", err)
	}
	if err := s.syncItems(); err != nil {
		return err
	}
	if err := os.Remove(s.originalPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: %w", err)
	}
	return os.Remove(gone)
}

// writeJSON replaces name with v durably and atomically.
func writeJSON(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := fsutil.WriteFileSync(name, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// syncItems fsyncs dir/items so that renames into and out of it are
// durable.
func (s *FS) syncItems() error {
	if err := s.items.Sync(); err != nil {
		return fmt.Errorf("store: syncing %s: %w", s.items.Dir(), err)
	}
	return nil
}

// checkedReader hashes what is read and fails at the end if the hash
// does not match.
type checkedReader struct {
	r    io.Reader // the original
	f    io.Closer // what holds it
	h    hash.Hash
	want string
}

func (c *checkedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF && hex.EncodeToString(c.h.Sum(nil)) != c.want {
		return n, ErrCorrupt
	}
	return n, err
}

func (c *checkedReader) Close() error { return c.f.Close() }

// ctxReader stops a copy when the context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
