//go:build unix

// Package cputime reads the CPU time of the process, for benchmarks. The
// machines that run them are shared, so the CPU time per file or page is
// reported beside the wall-clock rate: it is the figure to compare, as
// other load disturbs it less.
package cputime

import (
	"syscall"
	"time"
)

// Process is the user and system CPU time of this process so far, or 0
// when the system does not say.
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
