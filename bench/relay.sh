#!/usr/bin/env bash
# bench/relay.sh — mugai as a relay beside a stock Postfix relay.
#
#   make bench-relay            (or: bash bench/relay.sh)
#   N=5000 C=20 SIZE=8192 bash bench/relay.sh
#
# The same load goes, in one run, through
#   A: smtp-source → mugai (sanitizing, fsync before 250) → smtp-sink
#   B: smtp-source → a private stock Postfix relay → smtp-sink
# and for each we report
#   accept msg/s  N / time for smtp-source to hand over N messages
#   e2e msg/s     N / time until smtp-sink has received all N
#   p50/p99 ms    per-transaction latency (MAIL to the 250 after DATA)
#                 seen by a probe client sending P messages over C
#                 connections (a small Go program written below)
#   fsync/msg     fsync(2) + fdatasync(2) + syncfs(2) calls of the relay
#                 (all its processes) over the whole round, per message
#                 sent
#   cpu ms/msg    the relay's CPU time (perf task-clock) per message
#   cpus          the cores the relay kept busy over its round (perf's
#                 "CPUs utilized"): on a machine others share, what it
#                 got of it, which bounds e2e as much as cpu ms/msg does
# Each relay runs ROUNDS times, interleaved, and the summary gives the
# spread. BASE=<git revision> also runs mugai built from that revision
# in the same rounds, as "base": a before/after in one run. MUGAI_TOML
# is appended to mugai's configuration (and base's), to try a setting:
#   MUGAI_TOML=$'[process]\nworkers = 16' bash bench/relay.sh
# Each relay keeps its data (mugai's data folder, Postfix's queue) on an
# ext4 file system of its own, made fresh for every round (a loop-mounted
# image, default mkfs options), as README advises for a deployment: no
# relay's file creation pays for the files another relay, or an earlier
# round, freed. Where loop mounts fail, all share one temporary folder,
# and the bench says so.
# Needs: postfix (smtp-source, smtp-sink), go, perf; run as root for the
# private Postfix instance and the syscall counters. Nothing outside a
# temporary folder is touched (but for the loop devices it mounts).
set -euo pipefail

N=${N:-2000}        # messages per run
C=${C:-20}          # concurrent sessions
SIZE=${SIZE:-4096}  # message size (smtp-source -l)
P=${P:-1000}        # probe messages for latency
ROUNDS=${ROUNDS:-2} # rounds of each relay
BASE=${BASE:-}      # a git revision to run beside the work tree
MUGAI_TOML=${MUGAI_TOML:-} # more configuration for mugai and base

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/mugai-bench.XXXXXX)
chmod 755 "$WORK"
PIDS=()
PFCONF=""
cleanup() {
	set +e
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
	[ -n "$PFCONF" ] && postfix -c "$PFCONF" abort >/dev/null 2>&1 || true
	for m in "$WORK"/*-fs; do mountpoint -q "$m" && umount "$m"; done
	rm -rf "$WORK"
}
trap cleanup EXIT

for tool in smtp-source smtp-sink postfix go perf; do
	command -v "$tool" >/dev/null || { echo "bench-relay: $tool is missing (Debian: postfix, golang, linux-perf)"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench-relay: run as root (a private Postfix master needs it)"; exit 1; }

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitport() { for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened"; exit 1; }
now() { date +%s.%N; }

# fresh_fs NAME: an empty folder $WORK/NAME-fs for one round of relay
# NAME, the root of a new ext4 file system when loop mounts work here.
LOOPFS=1
fresh_fs() {
	local dir=$WORK/$1-fs img=$WORK/$1.img
	if mountpoint -q "$dir"; then umount "$dir"; fi
	rm -rf "$dir" "$img"
	mkdir -p "$dir"
	[ "$LOOPFS" = 1 ] || return 0
	if truncate -s 1G "$img" && mkfs.ext4 -q -F "$img" && mount -o loop "$img" "$dir"; then
		return 0
	fi
	LOOPFS=0
	rm -f "$img"
	echo "bench-relay: loop mounts fail here; every relay keeps its data in $WORK, on one file system" >&2
}

echo "building mugai and the probe..."
(cd "$ROOT" && go build -o "$WORK/mugai" ./cmd/mugai)
if [ -n "$BASE" ]; then
	mkdir -p "$WORK/base-src"
	git -C "$ROOT" archive "$BASE" | tar -x -C "$WORK/base-src"
	(cd "$WORK/base-src" && go build -o "$WORK/mugai-base" ./cmd/mugai)
fi
mkdir -p "$WORK/probe"
cat > "$WORK/probe/main.go" <<'GO'
// probe sends P messages over C connections and prints p50 and p99 of
// the MAIL-to-final-250 time in milliseconds.
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

func reply(r *bufio.Reader) string {
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			fmt.Fprintln(os.Stderr, "probe:", err)
			os.Exit(1)
		}
		if len(l) < 4 || l[3] != '-' {
			return l
		}
	}
}

func main() {
	addr := os.Args[1]
	p, _ := strconv.Atoi(os.Args[2])
	c, _ := strconv.Atoi(os.Args[3])
	size, _ := strconv.Atoi(os.Args[4])
	body := "From: probe@example.com\r\nTo: user@lg.example.jp\r\nSubject: probe\r\n\r\n" + strings.Repeat(strings.Repeat("x", 70)+"\r\n", size/72+1)
	var mu sync.Mutex
	var lat []float64
	var wg sync.WaitGroup
	for i := 0; i < c; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				panic(err)
			}
			defer conn.Close()
			r := bufio.NewReader(conn)
			reply(r)
			fmt.Fprintf(conn, "EHLO probe.example.com\r\n")
			reply(r)
			for j := 0; j < n; j++ {
				t := time.Now()
				fmt.Fprintf(conn, "MAIL FROM:<probe@example.com>\r\nRCPT TO:<user@lg.example.jp>\r\nDATA\r\n")
				for k := 0; k < 3; k++ {
					if l := reply(r); l[0] != '2' && l[0] != '3' {
						panic(l)
					}
				}
				fmt.Fprintf(conn, "%s.\r\n", body)
				if l := reply(r); l[0] != '2' {
					panic(l)
				}
				d := float64(time.Since(t).Microseconds()) / 1000
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
			fmt.Fprintf(conn, "QUIT\r\n")
		}(p / c)
	}
	wg.Wait()
	sort.Float64s(lat)
	q := func(f float64) float64 { return lat[int(f*float64(len(lat)-1))] }
	fmt.Printf("%.1f %.1f\n", q(0.5), q(0.99))
}
GO
(cd "$WORK/probe" && cat > go.mod <<'EOF'
module probe
go 1.22
EOF
go build -o "$WORK/probe/probe" .)

# start_sink NAME PORT: smtp-sink counting messages into $WORK/NAME.sink
start_sink() {
	smtp-sink -c -u nobody "127.0.0.1:$2" 1000 > "$WORK/$1.sink" 2>&1 &
	SINK_PID=$!
	PIDS+=($SINK_PID)
	waitport "$2"
}
sink_count() { tr '\r' '\n' < "$WORK/$1.sink" | grep -o 'mesg=[0-9]*' | tail -1 | cut -d= -f2 || echo 0; }
# wait_sink NAME WANT: until the sink has WANT messages (120 s at most).
wait_sink() {
	local got=0
	for _ in $(seq 2400); do
		got=$(sink_count "$1"); got=${got:-0}
		[ "$got" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "bench-relay: $1: the sink got only $got of $2 in 120 s" >&2
	exit 1
}

# The relay's own counters, over everything it and its children do.
PERF_EVENTS=syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync,syscalls:sys_enter_syncfs,task-clock
# perf_row FILE MSGS: "fsyncs/msg cpu-ms/msg cpus" from a perf stat -x,
# file.
perf_row() {
	python3 - "$1" "$2" <<'PY'
import sys
v, cpus = {}, 0.0
for line in open(sys.argv[1]):
    f = line.strip().split(",")
    if len(f) > 2 and f[0] and f[0][0].isdigit():
        v[f[2]] = float(f[0])
        if f[2] == "task-clock" and len(f) > 6 and f[6] == "CPUs utilized":
            cpus = float(f[5])
n = int(sys.argv[2])
fs = sum(v.get("syscalls:sys_enter_" + c, 0) for c in ("fsync", "fdatasync", "syncfs"))
print(f"{fs/n:.2f} {v.get('task-clock', 0)/n:.2f} {cpus:.2f}")
PY
}

# measure NAME PORT: load, wait for the sink, probe, wait for the sink
# again. Prints "accept/s e2e/s p50 p99".
measure() {
	local name=$1 port=$2 t0 t1 t2 lat
	t0=$(now)
	smtp-source -s "$C" -m "$N" -l "$SIZE" -f sender@example.com -t user@lg.example.jp "127.0.0.1:$port"
	t1=$(now)
	wait_sink "$name" "$N"
	t2=$(now)
	lat=$("$WORK/probe/probe" "127.0.0.1:$port" "$P" "$C" "$SIZE")
	wait_sink "$name" "$MSGS"
	python3 -c "import sys; n,t0,t1,t2=int(sys.argv[1]),*map(float,sys.argv[2:5]); print(f'{n/(t1-t0):.1f} {n/(t2-t0):.1f}', *sys.argv[5:])" "$N" "$t0" "$t1" "$t2" $lat
}

MSGS=$((N + P / C * C)) # every message a round sends, load and probe
ROWS=$WORK/rows

# run_mugai NAME BINARY: one round of mugai, fresh data folder on a
# fresh file system.
run_mugai() {
	local name=$1 bin=$2 sink port perf row
	sink=$(freeport); start_sink "$name" "$sink"
	port=$(freeport)
	fresh_fs "$name"
	cat > "$WORK/$name.toml" <<EOF
data_dir = "$WORK/$name-fs/data"
[log]
level = "warn"
[smtp]
listen = "127.0.0.1:$port"
domains = ["lg.example.jp"]
max_connections_per_ip = 200
[deliver]
relay = "127.0.0.1:$sink"
[admin]
listen = ""
[web]
upload_listen = ""
download_listen = ""
$MUGAI_TOML
EOF
	perf stat -x, -o "$WORK/$name.perf" -e "$PERF_EVENTS" -- "$bin" serve -config "$WORK/$name.toml" 2>> "$WORK/$name.log" &
	perf=$!
	PIDS+=($perf)
	waitport "$port"
	row=$(measure "$name" "$port")
	kill -TERM "$(pgrep -P "$perf")"
	wait "$perf" || true
	kill "$SINK_PID" 2>/dev/null; wait "$SINK_PID" 2>/dev/null || true
	echo "$name $row $(perf_row "$WORK/$name.perf" "$MSGS")" | tee -a "$ROWS"
}

# run_postfix: one round of a stock Postfix relaying everything for
# lg.example.jp to the sink, fresh queue on a fresh file system.
run_postfix() {
	local sink port perf row
	sink=$(freeport); start_sink postfix "$sink"
	port=$(freeport)
	PF=$WORK/postfix
	rm -rf "$PF"
	fresh_fs postfix
	mkdir -p "$PF/conf" "$WORK/postfix-fs/queue" "$PF/data"
	chown postfix "$PF/data"
	cat > "$PF/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $WORK/postfix-fs/queue
data_directory = $PF/data
mail_owner = postfix
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = relay.test
mydestination =
mynetworks = 127.0.0.0/8
relay_domains = lg.example.jp
relayhost = [127.0.0.1]:$sink
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_client_connection_count_limit = 0
default_process_limit = 200
maillog_file_prefixes = $WORK
maillog_file = $PF/maillog
smtputf8_enable = no
alias_maps =
alias_database =
local_recipient_maps =
biff = no
EOF
	# The same master.cf as the Postfix end-to-end test in smtpproxy.
	sed "s/LISTEN_PORT/$port/" "$ROOT/smtpproxy/testdata/postfix-master.cf" > "$PF/conf/master.cf"
	PFCONF=$PF/conf
	perf stat -x, -o "$WORK/postfix.perf" -e "$PERF_EVENTS" -- postfix -c "$PF/conf" start-fg >/dev/null 2>&1 &
	perf=$!
	PIDS+=($perf)
	waitport "$port"
	row=$(measure postfix "$port")
	postfix -c "$PF/conf" stop >/dev/null 2>&1
	wait "$perf" || true
	PFCONF=""
	kill "$SINK_PID" 2>/dev/null; wait "$SINK_PID" 2>/dev/null || true
	echo "postfix $row $(perf_row "$WORK/postfix.perf" "$MSGS")" | tee -a "$ROWS"
}

echo "N=$N C=$C SIZE=$SIZE P=$P ROUNDS=$ROUNDS on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-8s %9s %9s %8s %8s %9s %10s %5s\n" relay "accept/s" "e2e/s" "p50 ms" "p99 ms" "fsync/msg" "cpu ms/msg" cpus
for _ in $(seq "$ROUNDS"); do
	run_mugai mugai "$WORK/mugai"
	if [ -n "$BASE" ]; then run_mugai base "$WORK/mugai-base"; fi
	run_postfix
done

python3 - "$ROWS" <<'PY'
import sys, statistics
cols = ["accept/s", "e2e/s", "p50 ms", "p99 ms", "fsync/msg", "cpu ms/msg", "cpus"]
runs = {}
for line in open(sys.argv[1]):
    f = line.split()
    runs.setdefault(f[0], []).append([float(x) for x in f[1:8]])
print("\nspread over the rounds: min-max (median)")
med = {}
for name, rs in runs.items():
    med[name] = [statistics.median(c) for c in zip(*rs)]
    cells = [f"{cols[i]} {min(c):g}-{max(c):g} ({med[name][i]:g})" for i, c in enumerate(zip(*rs))]
    print(f"{name:8s} " + ", ".join(cells))
b = med["postfix"]
for name, a in med.items():
    if name != "postfix":
        print(f"{name}/postfix (medians): accept {a[0]/b[0]:.2f}x, e2e {a[1]/b[1]:.2f}x, "
              f"p99 {a[3]/b[3]:.2f}x (lower is better), fsync/msg {a[4]:.2f} vs {b[4]:.2f}, cpu/msg {a[5]/b[5]:.2f}x, "
              f"cpus {a[6]:.2f} vs {b[6]:.2f}")
PY
