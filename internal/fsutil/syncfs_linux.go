package fsutil

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFS is syncfs(2) on the file system that holds dir. Since Linux
// 5.8 it reports write-back errors of that file system as fsync does.
func syncFS(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = unix.Syncfs(int(d.Fd()))
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return &os.PathError{Op: "syncfs", Path: dir, Err: err}
	}
	return nil
}
