package main

import (
	"os"
	"runtime"
)

// spreadProcs gives the Go scheduler twice as many Ps as Go's default
// (the cores mugai may use, cgroup quota included), unless GOMAXPROCS is
// set in the environment. A message's "250" waits for its session's
// goroutine to run, and Go preempts a goroutine busy sanitizing only
// after about 10 ms on its P: with one P per core, a session ready to
// answer waits behind the sanitizing workers. With twice as many, the
// kernel shares each core among them in far shorter slices (make
// bench-relay measures the 250's latency). Being set, the number no
// longer follows a cgroup quota changed while mugai runs.
func spreadProcs() {
	if n := procsFor(os.Getenv("GOMAXPROCS"), runtime.GOMAXPROCS(0)); n > 0 {
		runtime.GOMAXPROCS(n)
	}
}

// procsFor is the GOMAXPROCS spreadProcs sets given the environment's
// GOMAXPROCS and the current one; 0 to leave it.
func procsFor(env string, current int) int {
	if env != "" {
		return 0
	}
	return 2 * current
}
