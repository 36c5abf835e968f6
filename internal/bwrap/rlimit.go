package bwrap

import "syscall"

// addressSpaceLimit is the RLIMIT_AS a sandboxed tool gets: want, or the
// process's own hard limit when that is lower. Under systemd LimitAS=, in
// a container or after ulimit -v, an unprivileged process cannot raise
// the hard limit, and prlimit would refuse to start every run;
// the lower limit still bounds the tool. lowered reports that the
// hard limit won.
func addressSpaceLimit(want int64) (limit int64, lowered bool) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &rl); err != nil {
		return want, false
	}
	// RLIM_INFINITY is all ones, above any want.
	if rl.Max >= uint64(want) {
		return want, false
	}
	return int64(rl.Max), true
}
