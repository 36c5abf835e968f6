//go:build !linux

package clamdtest

import "syscall"

// sysProcAttr: only Linux can tie clamd's life to the test binary's.
func sysProcAttr() *syscall.SysProcAttr { return nil }
