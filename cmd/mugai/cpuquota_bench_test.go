package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cpuQuota is a CPU quota for one mugai process of BenchmarkScaleOut, as
// if the process were a host of its own with that many cores: a cgroup
// of the cpu controller (version 1: cpu.cfs_quota_us over a 100 ms
// period; version 2: cpu.max) that also counts the CPU the process used
// (v1: cpuacct.usage, in the cpuacct hierarchy where it is mounted apart;
// v2: cpu.stat usage_usec) and the time the quota held it back
// (cpu.stat). Each group sits directly under the root of its hierarchy,
// so that under other load on the machine a node weighs what one busy
// process does, not a share of one group for all nodes.
type cpuQuota struct {
	v2        bool
	cpu, acct string // the group's folders; acct is cpu, except in v1 with cpuacct mounted apart
}

// cpuUse is what a cpuQuota counted so far.
type cpuUse struct {
	at        time.Time
	used      time.Duration // CPU time of the processes in the group
	throttled time.Duration // time they were runnable but held back by the quota
	periods   int64         // quota periods in which they ran
	held      int64         // of those, periods that ended throttled
}

const (
	cgroupRoot  = "/sys/fs/cgroup"
	quotaPeriod = 100 * time.Millisecond
)

// benchNodeCPU is the quota of each mugai process in cores
// ($MUGAI_BENCH_NODE_CPU), 0 for none.
func benchNodeCPU() float64 {
	v, err := strconv.ParseFloat(os.Getenv("MUGAI_BENCH_NODE_CPU"), 64)
	if err != nil || v <= 0 {
		return 0
	}
	return v
}

// newCPUQuota makes the group "$MUGAI_BENCH_CGROUP.name" with a quota of
// cores and removes it at cleanup (after the process in it has stopped:
// call it before newNode). It returns nil, having said so, when no quota
// was asked for or the machine has no writable cpu controller.
func newCPUQuota(b *testing.B, name string, cores float64) *cpuQuota {
	b.Helper()
	prefix := os.Getenv("MUGAI_BENCH_CGROUP")
	if cores == 0 || prefix == "" {
		return nil
	}
	name = prefix + "." + name
	var q cpuQuota
	var limits map[string]string
	quota := strconv.FormatInt(int64(cores*float64(quotaPeriod/time.Microsecond)), 10)
	period := strconv.FormatInt(int64(quotaPeriod/time.Microsecond), 10)
	// v2: the root hands the cpu controller to its children.
	if c, err := os.ReadFile(filepath.Join(cgroupRoot, "cgroup.subtree_control")); err == nil && strings.Contains(" "+strings.TrimSpace(string(c))+" ", " cpu ") {
		q = cpuQuota{v2: true, cpu: filepath.Join(cgroupRoot, name)}
		q.acct = q.cpu
		limits = map[string]string{"cpu.max": quota + " " + period}
	} else if _, err := os.Stat(filepath.Join(cgroupRoot, "cpu", "cpu.cfs_quota_us")); err == nil {
		q = cpuQuota{cpu: filepath.Join(cgroupRoot, "cpu", name)}
		q.acct = q.cpu
		if _, err := os.Stat(filepath.Join(cgroupRoot, "cpu", "cpuacct.usage")); err != nil {
			q.acct = filepath.Join(cgroupRoot, "cpuacct", name)
		}
		limits = map[string]string{"cpu.cfs_period_us": period, "cpu.cfs_quota_us": quota}
	} else {
		b.Logf("no cgroup cpu controller (v1 %s/cpu, or v2 with cpu in %s/cgroup.subtree_control): every mugai process runs uncapped", cgroupRoot, cgroupRoot)
		return nil
	}
	for _, d := range []string{q.cpu, q.acct} {
		if err := os.Mkdir(d, 0o755); err != nil && !os.IsExist(err) {
			b.Logf("cannot make cgroup %s (%v): every mugai process runs uncapped", d, err)
			return nil
		}
		b.Cleanup(func() { os.Remove(d) })
	}
	for f, v := range limits {
		if err := os.WriteFile(filepath.Join(q.cpu, f), []byte(v), 0o644); err != nil {
			b.Fatalf("cgroup %s: %s: %v", q.cpu, f, err)
		}
	}
	return &q
}

// command is the argv that runs argv inside the group: a shell that
// moves itself into the group's folders, then execs argv under the same
// process ID, so that nothing of the process runs outside the quota.
func (q *cpuQuota) command(argv ...string) []string {
	return append([]string{"/bin/sh", "-c", `echo $$ > "$1/cgroup.procs" && echo $$ > "$2/cgroup.procs" && shift 2 && exec "$@"`, "sh", q.cpu, q.acct}, argv...)
}

// use reads the group's counters.
func (q *cpuQuota) use(b *testing.B) cpuUse {
	b.Helper()
	u := cpuUse{at: time.Now()}
	stat := readKeyed(b, filepath.Join(q.cpu, "cpu.stat"))
	u.periods, u.held = stat["nr_periods"], stat["nr_throttled"]
	if q.v2 {
		u.used = time.Duration(stat["usage_usec"]) * time.Microsecond
		u.throttled = time.Duration(stat["throttled_usec"]) * time.Microsecond
		return u
	}
	u.throttled = time.Duration(stat["throttled_time"])
	u.used = acctUsage(b, q.acct)
	return u
}

// acctUsage reads cpuacct.usage, the CPU time of a cgroup v1 group of
// the cpuacct controller.
func acctUsage(b *testing.B, dir string) time.Duration {
	b.Helper()
	ns, err := os.ReadFile(filepath.Join(dir, "cpuacct.usage"))
	if err != nil {
		b.Fatal(err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(ns)), 10, 64)
	if err != nil {
		b.Fatalf("%s/cpuacct.usage: %v", dir, err)
	}
	return time.Duration(n)
}

// readKeyed reads a file of "key value" lines, as cpu.stat.
func readKeyed(b *testing.B, file string) map[string]int64 {
	b.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	m := map[string]int64{}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			m[f[0]], _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	return m
}

// reportUse adds the metrics of one node between from and to: the cores
// it used on average, the share of quota periods that ended with it
// held back, and the time it was held back.
func reportUse(b *testing.B, node string, from, to cpuUse) {
	wall := to.at.Sub(from.at).Seconds()
	b.ReportMetric((to.used-from.used).Seconds()/wall, node+"-cores")
	held := 0.0
	if p := to.periods - from.periods; p > 0 {
		held = 100 * float64(to.held-from.held) / float64(p)
	}
	b.ReportMetric(held, node+"-throttled-%")
	b.ReportMetric((to.throttled - from.throttled).Seconds(), node+"-throttled-s")
}

// machineBusy is the busy and total jiffies of all CPUs so far
// (/proc/stat), everyone's work on the machine included.
func machineBusy(b *testing.B) (busy, total int64) {
	b.Helper()
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		b.Fatal(err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		b.Fatalf("/proc/stat: %q", line)
	}
	for i, s := range f[1:] {
		v, _ := strconv.ParseInt(s, 10, 64)
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total
}

// restUsed is the CPU time so far of the benchmark's uncapped parts (the
// test process with its sender and sink, PostgreSQL, the nats-servers):
// the group $MUGAI_BENCH_REST that bench/cluster.sh runs it in, a
// cpuacct group of cgroup v1, which counts and does not schedule. It
// reports false without one.
func restUsed(b *testing.B) (time.Duration, bool) {
	b.Helper()
	dir := os.Getenv("MUGAI_BENCH_REST")
	if dir == "" {
		return 0, false
	}
	return acctUsage(b, dir), true
}
