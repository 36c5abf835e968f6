#!/usr/bin/env bash
# bench/cluster.sh — end-to-end mail per second through mugai on one
# machine (the default: spool folder, SQLite) beside mugai clusters of 1,
# 2 and 3 nodes on one PostgreSQL and a 3-server NATS JetStream, all on
# this machine. One node takes SMTP; every node sanitizes and delivers.
#
#   bash bench/cluster.sh
#   NODE_CPU=0.5 MUGAI_BENCH_MAILS=400 bash bench/cluster.sh
#
# The mix is CPU-bound on the mugai nodes: every fourth mail carries a
# 10-page A4 text document (56 lines of Helvetica a page, 7.5 KB), which
# mugai flattens to page images with a text layer, about 0.4 s of CPU
# (the one-page PDF of the tests takes 14 ms, less than the mail's way
# through JetStream and PostgreSQL, and showed nothing of the workers).
#
# On one machine, extra nodes only share the same cores, so nothing could
# grow. Each mugai process (the single node too) therefore runs in a
# cgroup of its own with a CPU quota of NODE_CPU cores, as if it were a
# host of its own; PostgreSQL, the three nats-servers, the sender and the
# LGWAN sink (a go-smtp server in the test process) run uncapped. The
# default 0.4 is chosen for a machine of 2 cores: three nodes take at
# most 1.2 of them and leave 0.8 for the uncapped parts, which used 0.17
# at the three-node rate (the "rest" column), and for what else runs on
# a shared machine ("others"). A larger quota would leave them too
# little: the machine, not the quotas, would be the limit of the larger
# clusters, and their figures would flatten. On more cores, raise NODE_CPU so that
# 3 × NODE_CPU + 0.5 stays below them. cgroup v1 (/sys/fs/cgroup/cpu,
# cpu.cfs_quota_us) and v2 (cpu.max; cpu in the root's
# cgroup.subtree_control) both work; as root. Without either, everything
# runs uncapped and the figures cannot show scaling.
#
# Per configuration it prints mail per second and, per node, the cores it
# used on average, the share of the 100 ms quota periods that ended with
# the node held back by its quota, and the time held back (summed over
# the CPUs its threads waited on): a node near NODE_CPU cores and
# throttled in most periods was limited by its quota, the limit the
# benchmark means to measure. "machine" is the busy cores of the whole
# machine over the run, "rest" those of the uncapped parts (where cgroup
# v1 has cpuacct mounted apart, which counts without scheduling), and
# "others" what is left: other people's work. With "machine" near the
# machine's core count and the nodes throttled in few periods, the
# machine and not the quotas was the limit: run it again when the
# machine is quieter.
#
# Needs: go, Debian's postgresql and nats-server. Everything runs on
# loopback in temporary folders (Go's test harness: internal/meta/pgtest,
# internal/natstest) and is removed at the end, the cgroups too.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

work=$(mktemp -d)
prefix=mugai-bench.$$
# cleanup removes the temporary folder and any cgroup left by an
# interrupted run, ending the mugai processes still in one (they are this
# run's: the groups' names carry its process ID).
cleanup() {
	for g in /sys/fs/cgroup/cpu/"$prefix".* /sys/fs/cgroup/cpuacct/"$prefix".* /sys/fs/cgroup/"$prefix".*; do
		[ -d "$g" ] || continue
		for pid in $(cat "$g/cgroup.procs" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
		for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$g" 2>/dev/null && break; sleep 0.5; done
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

node_cpu=${NODE_CPU:-0.4}
if grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
	quota="cgroup v2 cpu.max"
elif [ -w /sys/fs/cgroup/cpu/cpu.cfs_quota_us ] || [ -w /sys/fs/cgroup/cpu ]; then
	quota="cgroup v1 cpu.cfs_quota_us"
else
	quota=""
fi

go test -c -o "$work/render.test" ./sanitizer/render/
MUGAI_BENCH_WRITE=$work "$work/render.test" -test.run '^TestWriteBenchPDF$' >/dev/null

echo "cpus: $(nproc)  load average: $(cut -d' ' -f1-3 /proc/loadavg)  mails a run: ${MUGAI_BENCH_MAILS:-200}, every fourth with text10.pdf"
if [ -n "$quota" ]; then
	echo "each mugai process: a quota of $node_cpu cores ($quota); PostgreSQL, NATS, sender and sink uncapped"
	export MUGAI_BENCH_NODE_CPU=$node_cpu MUGAI_BENCH_CGROUP=$prefix
else
	echo "no writable cgroup cpu controller: every process runs uncapped on the same $(nproc) cores;"
	echo "these figures cannot show what a node adds"
fi
# The uncapped rest is counted in a cpuacct group of its own (v1 only:
# in v2 a group for it would also be scheduled as one).
rest=/sys/fs/cgroup/cpuacct/$prefix.rest
if [ -n "$quota" ] && [ -d /sys/fs/cgroup/cpuacct ] && [ ! -e /sys/fs/cgroup/cpu/cpuacct.usage ] && mkdir "$rest" 2>/dev/null; then
	export MUGAI_BENCH_REST=$rest
fi
(
	if [ -n "${MUGAI_BENCH_REST:-}" ]; then echo "$BASHPID" >"$rest/cgroup.procs"; fi
	MUGAI_BENCH_PDF=$work/text10.pdf exec go test ./cmd/mugai -run '^$' -bench '^BenchmarkScaleOut$' -benchtime 1x -timeout 60m
) |
	awk '
	/^BenchmarkScaleOut\// {
		name = $1; sub(/^BenchmarkScaleOut\//, "", name); sub(/-[0-9]+$/, "", name)
		delete m
		for (i = 3; i < NF; i += 2) m[$(i + 1)] = $i
		nodes = 0
		for (n = 1; ("n" n "-cores") in m; n++) nodes += m["n" n "-cores"]
		if ("rest-cores" in m) {
			rest = sprintf("%6.2f", m["rest-cores"]); others = sprintf("%6.2f", m["machine-busy-cores"] - nodes - m["rest-cores"])
		} else {
			rest = others = sprintf("%6s", "-")
		}
		row = sprintf("%-10s %6.2f %7.2f %s %s", name, m["msg/s"], m["machine-busy-cores"], rest, others)
		if (!("n1-cores" in m)) { print row "   (uncapped)"; next }
		for (n = 1; ("n" n "-cores") in m; n++) {
			printf "%s   n%d %6.2f %9.0f%% %7.1f\n", row, n, m["n" n "-cores"], m["n" n "-throttled-%"], m["n" n "-throttled-s"]
			row = sprintf("%-10s %6s %7s %6s %6s", "", "", "", "", "")
		}
		next
	}
	/^(FAIL|---|panic|ok)/ || /_test\.go:/ { print > "/dev/stderr" }
	BEGIN { printf "%-10s %6s %7s %6s %6s   %2s %6s %10s %7s\n", "config", "msg/s", "machine", "rest", "others", "", "cores", "throttled", "held s" }'
