//go:build !linux

package fsutil

import "syscall"

// syncFS is sync(2) where there is no syncfs(2).
//
// QUIRK: POSIX lets sync return before the writes are done; mugai is
// made for Linux, where syncfs waits for them.
func syncFS(string) error {
	syscall.Sync()
	return nil
}
