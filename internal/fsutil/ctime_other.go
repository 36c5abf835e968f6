//go:build !linux

package fsutil

import (
	"os"
	"time"
)

// Changed is fi's ModTime where the inode change time is not read.
func Changed(fi os.FileInfo) time.Time { return fi.ModTime() }
