// Package fsutil holds the small file operations several parts of mugai
// share.
package fsutil

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// CopyFile copies src to a new file dst with mode perm. dst must not
// exist; on error nothing is left at dst.
func CopyFile(dst, src string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	if err := out.Close(); err != nil {
		os.Remove(dst)
		return err
	}
	return nil
}

// SyncDir fsyncs a folder so that the renames and creations in it are
// durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// FillSync copies r into f, fsyncs and closes f, and returns the first
// error. f is closed in every case.
func FillSync(f *os.File, r io.Reader) error {
	_, err := io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// CreateSync writes data to a new file name with mode perm and fsyncs
// it, without fsyncing its folder: for a file in a folder that is not
// yet visible under its final name, whose fsync before the rename into
// place covers every name in it. On error nothing is left at name.
func CreateSync(name string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if err := FillSync(f, bytes.NewReader(data)); err != nil {
		os.Remove(name)
		return err
	}
	return nil
}

// WriteFileSync replaces name with data durably and atomically: data goes
// to a temporary file in name's folder, which is fsynced, given mode
// perm and renamed over name (rename(2) is atomic within a file system),
// and then the folder is fsynced. Readers, and a crash at any instant,
// see either the old content or the new, never a part. On error name is
// unchanged and the temporary file removed; a crash can leave one named
// ".<base>.<random>" beside it, which nothing reads under name.
func WriteFileSync(name string, data []byte, perm os.FileMode) error {
	return replace(name, bytes.NewReader(data), perm)
}

// replace is WriteFileSync for a reader.
func replace(name string, r io.Reader, perm os.FileMode) error {
	dir := filepath.Dir(name)
	f, err := os.CreateTemp(dir, "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	err = f.Chmod(perm)
	if err == nil {
		err = FillSync(f, r)
	} else {
		f.Close()
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	return SyncDir(dir)
}

// CacheDir is the folder mugai keeps compiled WebAssembly modules in
// when none is configured: os.UserCacheDir()/mugai, or
// os.TempDir()/mugai-cache where there is no user cache folder.
func CacheDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "mugai")
	}
	return filepath.Join(os.TempDir(), "mugai-cache")
}

// RenameIfThere renames from to to, and does nothing if from does not
// exist: a step of a migration that a crash may have done already.
func RenameIfThere(from, to string) error {
	err := os.Rename(from, to)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
