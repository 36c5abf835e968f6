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
# Needs: postfix (smtp-source, smtp-sink), go; run as root for the
# private Postfix instance. Nothing outside a temporary folder is touched.
set -euo pipefail

N=${N:-2000}        # messages per run
C=${C:-20}          # concurrent sessions
SIZE=${SIZE:-4096}  # message size (smtp-source -l)
P=${P:-1000}        # probe messages for latency

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/mugai-bench.XXXXXX)
chmod 755 "$WORK"
PIDS=()
PFCONF=""
cleanup() {
	set +e
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
	[ -n "$PFCONF" ] && postfix -c "$PFCONF" abort >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT

for tool in smtp-source smtp-sink postfix go; do
	command -v "$tool" >/dev/null || { echo "bench-relay: $tool is missing (Debian: postfix, golang)"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench-relay: run as root (a private Postfix master needs it)"; exit 1; }

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitport() { for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened"; exit 1; }
now() { date +%s.%N; }

echo "building mugai and the probe..."
(cd "$ROOT" && go build -o "$WORK/mugai" ./cmd/mugai)
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
	PIDS+=($!)
	waitport "$2"
}
sink_count() { tr '\r' '\n' < "$WORK/$1.sink" | grep -o 'mesg=[0-9]*' | tail -1 | cut -d= -f2 || echo 0; }

# measure NAME PORT: load, wait for the sink, probe. Prints one row.
measure() {
	local name=$1 port=$2 t0 t1 t2 want got lat
	t0=$(now)
	smtp-source -s "$C" -m "$N" -l "$SIZE" -f sender@example.com -t user@lg.example.jp "127.0.0.1:$port"
	t1=$(now)
	want=$N
	for i in $(seq 2400); do
		got=$(sink_count "$name"); got=${got:-0}
		[ "$got" -ge "$want" ] && break
		[ "$i" = 2400 ] && { echo "bench-relay: $name: the sink got only $got of $want in 120 s" >&2; exit 1; }
		sleep 0.05
	done
	t2=$(now)
	lat=$("$WORK/probe/probe" "127.0.0.1:$port" "$P" "$C" "$SIZE")
	python3 - "$name" "$N" "$t0" "$t1" "$t2" $lat "$got" <<'PY'
import sys
name, n, t0, t1, t2, p50, p99, got = sys.argv[1], int(sys.argv[2]), *map(float, sys.argv[3:6]), sys.argv[6], sys.argv[7], sys.argv[8]
print(f"{name:8s} {n/(t1-t0):10.1f} {n/(t2-t0):10.1f} {p50:>8s} {p99:>8s}   (sink got {got})")
PY
}

echo "N=$N C=$C SIZE=$SIZE P=$P on $(nproc) cores"
printf "%-8s %10s %10s %8s %8s\n" relay "accept/s" "e2e/s" "p50 ms" "p99 ms"

# A: mugai
SINK_A=$(freeport); start_sink mugai "$SINK_A"
MPORT=$(freeport)
cat > "$WORK/mugai.toml" <<EOF
data_dir = "$WORK/mugai-data"
[log]
level = "warn"
[smtp]
listen = "127.0.0.1:$MPORT"
domains = ["lg.example.jp"]
max_connections_per_ip = 200
[deliver]
relay = "127.0.0.1:$SINK_A"
[admin]
listen = ""
EOF
"$WORK/mugai" serve -config "$WORK/mugai.toml" 2> "$WORK/mugai.log" &
PIDS+=($!)
waitport "$MPORT"
ROW_A=$(measure mugai "$MPORT")
echo "$ROW_A"

# B: stock Postfix relaying everything for lg.example.jp to the sink.
SINK_B=$(freeport); start_sink postfix "$SINK_B"
PPORT=$(freeport)
PF=$WORK/postfix; PFCONF=$PF/conf
mkdir -p "$PF/conf" "$PF/queue" "$PF/data"
chown postfix "$PF/data"
cat > "$PF/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
mail_owner = postfix
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = relay.test
mydestination =
mynetworks = 127.0.0.0/8
relay_domains = lg.example.jp
relayhost = [127.0.0.1]:$SINK_B
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
sed "s/LISTEN_PORT/$PPORT/" "$ROOT/smtpproxy/testdata/postfix-master.cf" > "$PF/conf/master.cf"
postfix -c "$PF/conf" start >/dev/null
waitport "$PPORT"
ROW_B=$(measure postfix "$PPORT")
echo "$ROW_B"

python3 - "$ROW_A" "$ROW_B" <<'PY'
import sys
a, b = (r.split() for r in sys.argv[1:3])
print(f"mugai/postfix: accept {float(a[1])/float(b[1]):.2f}x, e2e {float(a[2])/float(b[2]):.2f}x, p99 {float(a[4])/float(b[4]):.2f}x (lower is better)")
PY
