#!/usr/bin/env bash
# bench/flatten.sh [file.pdf ...]
#
# Rendering speed of mugai's PDF flattening (sanitizer/render, PDFium on
# wazy, every CPU) against MuPDF's `mutool draw -r 150` on the same files,
# both at 150 dpi, and the start-up time of a process with an empty and with
# a filled compiled-module cache. Beside the renderer's CPU per page it
# measures the whole flatten path as `mugai sanitize` runs it, on a started
# engine (internal/app BenchmarkSanitizePDF: pdfcpu's inventory in its
# sandbox, the render, the text layer, the verifier), the figure a user
# gets.
#
# Without arguments it benchmarks generated 10-page Latin and Japanese text
# PDFs (fonts not embedded), the same PDFs rewritten by pdftocairo (embedded
# subset fonts, as real documents have), and a one-page photo. Needs Go, mupdf-tools (mutool), poppler-utils
# (pdftocairo, optional), bc.
#
# BASE=<commit> bench/flatten.sh also builds the renderer of that commit
# (from git archive, in the temp folder) and measures it on the same files
# in the same run: the "base" columns.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v mutool >/dev/null || { echo "mutool not found: apt-get install mupdf-tools" >&2; exit 1; }
command -v bc >/dev/null || { echo "bc not found: apt-get install bc" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
runs=${RUNS:-10}

go test -c -o "$work/render.test" ./sanitizer/render/
go test -c -o "$work/app.test" ./internal/app/
if [ -n "${BASE:-}" ]; then
	mkdir "$work/base"
	git archive "$BASE" | tar -x -C "$work/base"
	(cd "$work/base" && go test -c -o "$work/render-base.test" ./sanitizer/render/)
fi

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
	MUGAI_BENCH_WRITE=$work "$work/render.test" -test.run '^TestWriteBenchPDF$' >/dev/null
	files=()
	for base in text10 japanese10; do
		files+=("$work/$base.pdf")
		if command -v pdftocairo >/dev/null; then
			pdftocairo -pdf "$work/$base.pdf" "$work/$base-cairo.pdf"
			files+=("$work/$base-cairo.pdf")
		fi
	done
	files+=("$work/photo1.pdf")
fi

now() { date +%s.%N; }

echo "cpus: $(nproc)  runs per file: $runs  dpi: 150  load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-18s %5s %8s | %9s %9s %7s %9s | %9s %9s %9s | %6s %6s %6s' file pages bytes-in \
	"mugai p/s" "cpu ms/p" out/in "whole ms/p" "mutool p/s" "×$(nproc) p/s" "cpu ms/p" ratio cpu-r cpu-w
[ -n "${BASE:-}" ] && printf ' | %9s %9s' "base p/s" "base ms/p"
echo
for f in "${files[@]}"; do
	pages=$(mutool info "$f" 2>/dev/null | awk '/^Pages:/ {print $2}')
	# bench BINARY BENCHMARK: the benchmark's result line on this file.
	bench() {
		MUGAI_BENCH_PDF=$f "$1" -test.run '^$' -test.bench "^$2\$" \
			-test.benchtime "${runs}x" | grep "^$2"
	}
	metric() { awk -v m="$1" '{for (i = 1; i <= NF; i++) if ($i == m) print $(i-1)}' <<<"$line"; }
	if [ -n "${BASE:-}" ]; then
		line=$(bench "$work/render-base.test" BenchmarkFlattenPDF)
		base=$(metric pages/s)
		basecpu=$(metric cpu-ms/page)
	fi
	line=$(bench "$work/render.test" BenchmarkFlattenPDF)
	mugai=$(metric pages/s)
	mugaicpu=$(metric cpu-ms/page)
	outin=$(metric out/in)
	line=$(bench "$work/app.test" BenchmarkSanitizePDF)
	wholecpu=$(echo "$(metric cpu-ms/file) / $pages" | bc -l)

	# One mutool process (it renders on one core); user+sys time from bash.
	TIMEFORMAT='%R %U %S'
	read -r real user sys < <({ time (for _ in $(seq "$runs"); do
		mutool draw -q -r 150 -o "$work/x%d.png" "$f" 2>/dev/null
	done) ; } 2>&1)
	mutool1=$(echo "$pages * $runs / $real" | bc -l)
	mutoolcpu=$(echo "($user + $sys) * 1000 / ($pages * $runs)" | bc -l)

	# One mutool process per CPU, each drawing the file: mutool's best
	# throughput on this machine.
	n=$(nproc)
	read -r realn _ _ < <({ time (for j in $(seq "$n"); do
		(for _ in $(seq "$runs"); do mutool draw -q -r 150 -o "$work/y$j-%d.png" "$f" 2>/dev/null; done) &
	done; wait) ; } 2>&1)
	mutooln=$(echo "$pages * $runs * $n / $realn" | bc -l)

	printf '%-18s %5s %8s | %9.1f %9.1f %7.2f %9.1f | %9.1f %9.1f %9.1f | %6.2f %6.2f %6.2f' "$(basename "$f")" "$pages" "$(stat -c %s "$f")" \
		"$mugai" "$mugaicpu" "$outin" "$wholecpu" "$mutool1" "$mutooln" "$mutoolcpu" \
		"$(echo "$mugai / $mutooln" | bc -l)" "$(echo "$mutoolcpu / $mugaicpu" | bc -l)" "$(echo "$mutoolcpu / $wholecpu" | bc -l)"
	[ -n "${BASE:-}" ] && printf ' | %9.1f %9.1f' "$base" "$basecpu"
	echo
done
echo "ratio = mugai pages/s ÷ mutool pages/s with one mutool per CPU (wall clock, all CPUs busy)"
echo "cpu-r = mutool CPU ms per page ÷ mugai CPU ms per page (independent of other load)"
echo "whole = CPU ms per page of the whole flatten path (mugai sanitize's engine); cpu-w = mutool's ÷ that"

echo
echo "start-up (New + first page), compiled-module cache in an empty folder:"
MUGAI_BENCH_CACHE=$work/cache "$work/render.test" -test.run '^TestStartupTime$' | grep startup
echo "second process, same cache:"
MUGAI_BENCH_CACHE=$work/cache "$work/render.test" -test.run '^TestStartupTime$' | grep startup
