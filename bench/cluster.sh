#!/usr/bin/env bash
# bench/cluster.sh — end-to-end mail per second through mugai on one
# machine (the default: spool folder, SQLite) beside mugai clusters of 1,
# 2 and 3 nodes on one PostgreSQL and a 3-server NATS JetStream, all on
# this machine. One node takes SMTP; every node sanitizes and delivers.
# A quarter of the mails carry a one-page PDF, flattened on the way.
#
#   bash bench/cluster.sh
#   MUGAI_BENCH_MAILS=500 bash bench/cluster.sh
#
# Needs: go, Debian's postgresql and nats-server. Everything runs on
# loopback in temporary folders (Go's test harness: internal/meta/pgtest,
# internal/natstest) and is removed at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
go test ./cmd/mugai -run '^$' -bench '^BenchmarkScaleOut$' -benchtime 1x -timeout 60m |
	awk '/^BenchmarkScaleOut\// { sub(/^BenchmarkScaleOut\//, ""); sub(/-[0-9]+$/, "", $1); printf "%-12s %8s msg/s\n", $1, $(NF-1) }'
