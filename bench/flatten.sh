#!/usr/bin/env bash
# bench/flatten.sh [file.pdf ...]
#
# Rendering speed of mugai's PDF flattening (sanitizer/render, PDFium on
# wazero, every CPU) against MuPDF's `mutool draw -r 150` on the same files,
# both at 150 dpi, and the start-up time of a process with an empty and with
# a filled compiled-module cache.
#
# Without arguments it benchmarks a generated 10-page text PDF, the same PDF
# rewritten by pdftocairo (embedded subset fonts, as real documents have),
# and a one-page photo. Needs Go, mupdf-tools (mutool), poppler-utils
# (pdftocairo, optional), bc.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v mutool >/dev/null || { echo "mutool not found: apt-get install mupdf-tools" >&2; exit 1; }
command -v bc >/dev/null || { echo "bc not found: apt-get install bc" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
runs=${RUNS:-10}

go test -c -o "$work/render.test" ./sanitizer/render/

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
	MUGAI_BENCH_WRITE=$work "$work/render.test" -test.run '^TestWriteBenchPDF$' >/dev/null
	files=("$work/text10.pdf")
	if command -v pdftocairo >/dev/null; then
		pdftocairo -pdf "$work/text10.pdf" "$work/text10-cairo.pdf"
		files+=("$work/text10-cairo.pdf")
	fi
	files+=("$work/photo1.pdf")
fi

now() { date +%s.%N; }

echo "cpus: $(nproc)  runs per file: $runs  dpi: 150"
printf '%-22s %6s %9s %12s %12s %12s %8s %8s\n' file pages bytes-in "mugai p/s" "mutool p/s" "mutool×2 p/s" ratio out/in
for f in "${files[@]}"; do
	pages=$(mutool info "$f" 2>/dev/null | awk '/^Pages:/ {print $2}')
	line=$(MUGAI_BENCH_PDF=$f "$work/render.test" -test.run '^$' -test.bench '^BenchmarkFlattenPDF$' \
		-test.benchtime "${runs}x" | grep '^BenchmarkFlattenPDF')
	mugai=$(awk '{for (i = 1; i <= NF; i++) if ($i == "pages/s") print $(i-1)}' <<<"$line")
	outin=$(awk '{for (i = 1; i <= NF; i++) if ($i == "out/in") print $(i-1)}' <<<"$line")

	# One mutool process (it renders on one core).
	t0=$(now)
	for _ in $(seq "$runs"); do mutool draw -q -r 150 -o "$work/x%d.png" "$f" 2>/dev/null; done
	t1=$(now)
	mutool1=$(echo "$pages * $runs / ($t1 - $t0)" | bc -l)

	# One mutool process per CPU, each drawing the file: mutool's best
	# throughput on this machine.
	n=$(nproc)
	t0=$(now)
	for j in $(seq "$n"); do
		(for _ in $(seq "$runs"); do mutool draw -q -r 150 -o "$work/y$j-%d.png" "$f" 2>/dev/null; done) &
	done
	wait
	t1=$(now)
	mutooln=$(echo "$pages * $runs * $n / ($t1 - $t0)" | bc -l)

	ratio=$(echo "$mugai / $mutooln" | bc -l)
	printf '%-22s %6s %9s %12.1f %12.1f %12.1f %8.2f %8s\n' "$(basename "$f")" "$pages" "$(stat -c %s "$f")" \
		"$mugai" "$mutool1" "$mutooln" "$ratio" "$outin"
done
echo "ratio = mugai pages/s ÷ mutool pages/s with one process per CPU"

echo
echo "start-up (New + first page), compiled-module cache in an empty folder:"
MUGAI_BENCH_CACHE=$work/cache "$work/render.test" -test.run '^TestStartupTime$' | grep startup
echo "second process, same cache:"
MUGAI_BENCH_CACHE=$work/cache "$work/render.test" -test.run '^TestStartupTime$' | grep startup
