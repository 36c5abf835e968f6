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

// Process is the user and system CPU time so far of this process and of
// the child processes it has waited for (the sandboxed tesseract of the
// OCR text layer, LibreOffice), or 0 when the system does not say.
func Process() time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err != nil {
			return 0
		}
		total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return total
}
