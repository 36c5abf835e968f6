package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// Blobs keeps the files mugai made for an item (the transfer sites'
// sanitized outputs), numbered from 0 without gaps, by item ID and
// index. Implementations are safe for concurrent use; a blob is seen
// whole or not at all.
type Blobs interface {
	// Put stores r as blob index of item, replacing one stored before.
	Put(ctx context.Context, item string, index int, r io.Reader) error
	// Open returns blob index of item, which the caller closes; an error
	// wrapping ErrNotFound if there is none.
	Open(ctx context.Context, item string, index int) (*Blob, error)
	// Remove removes every blob of item; nil if it has none.
	Remove(ctx context.Context, item string) error
}

// Blob is a stored blob being read: its bytes, which can be read, seeked
// and read at, and their size. Close releases it.
type Blob struct {
	*io.SectionReader
	io.Closer
}

// Folder is Blobs in a local folder: dir/<item>/<index>, each written
// to a temporary file, fsynced and renamed into place.
type Folder struct{ dir string }

var _ Blobs = (*Folder)(nil)

// NewFolder opens (creating if needed) a folder of blobs.
func NewFolder(dir string) (*Folder, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &Folder{dir: dir}, nil
}

func (f *Folder) path(item string, index int) (string, error) {
	if !ValidID(item) || index < 0 {
		return "", ErrInvalidID
	}
	return filepath.Join(f.dir, item, strconv.Itoa(index)), nil
}

// Put implements Blobs.
func (f *Folder) Put(ctx context.Context, item string, index int, r io.Reader) error {
	name, err := f.path(item, index)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	_, err = io.Copy(tmp, ctxReader{ctx, r})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// Open implements Blobs.
func (f *Folder) Open(_ context.Context, item string, index int) (*Blob, error) {
	name, err := f.path(item, index)
	if err != nil {
		return nil, err
	}
	file, err := os.Open(name)
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("%w: %s/%d", ErrNotFound, item, index)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	return &Blob{SectionReader: io.NewSectionReader(file, 0, fi.Size()), Closer: file}, nil
}

// Remove implements Blobs.
func (f *Folder) Remove(_ context.Context, item string) error {
	if !ValidID(item) {
		return ErrInvalidID
	}
	return os.RemoveAll(filepath.Join(f.dir, item)) // nil when already gone
}
