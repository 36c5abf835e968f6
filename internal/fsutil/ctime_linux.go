package fsutil

import (
	"os"
	"syscall"
	"time"
)

// Changed is when fi's inode last changed (st_ctime): its content, its
// mode, or its names, since link(2) and rename(2) set it too. A file
// just linked into place under a new name is recent by Changed, however
// old its content (ModTime).
func Changed(fi os.FileInfo) time.Time {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return time.Unix(st.Ctim.Unix())
	}
	return fi.ModTime()
}
