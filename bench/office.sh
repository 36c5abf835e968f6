#!/usr/bin/env bash
# bench/office.sh [file.docx ...]
#
# Office documents through mugai against plain LibreOffice, per file:
#   disarm f/s    OOXML disarm in pure Go (BenchmarkDisarmDOCX, one core)
#   mugai disarm  `mugai sanitize` with the default policy (disarm), whole process
#   sandbox s     ConvertToPDF alone: soffice --convert-to pdf under bubblewrap
#                 and prlimit, fresh profile (BenchmarkConvertToPDF)
#   mugai flat s  `mugai sanitize` with docx = "flatten": disarm, ConvertToPDF,
#                 then the WebAssembly renderer's image-only PDF, whole process
#   soffice s     plain `soffice --headless --convert-to pdf`, warm profile,
#                 no sandbox: the baseline
#
# Without arguments it benchmarks a generated ten-page Japanese report.
# Needs Go, libreoffice-writer-nogui, bubblewrap, util-linux (prlimit), bc.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in soffice bwrap prlimit bc; do
	command -v "$tool" >/dev/null || { echo "$tool not found: apt-get install libreoffice-writer-nogui bubblewrap util-linux bc" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
runs=${RUNS:-5}

go test -c -o "$work/office.test" ./sanitizer/office/
go build -o "$work/mugai" ./cmd/mugai

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
	MUGAI_BENCH_WRITE=$work "$work/office.test" -test.run '^TestWriteBenchDOCX$' >/dev/null
	files=("$work/report10.docx")
fi
printf '[actions]\ndocx = "flatten"\ndocm = "flatten"\n' >"$work/flatten.toml"

now() { date +%s.%N; }
metric() { awk -v m="$1" '{for (i = 1; i <= NF; i++) if ($i == m) print $(i-1)}'; }

# per-run seconds of a command, after one warm-up run
timeit() {
	"$@" >/dev/null 2>&1
	local t0 t1
	t0=$(now)
	for _ in $(seq "$runs"); do "$@" >/dev/null 2>&1; done
	t1=$(now)
	echo "($t1 - $t0) / $runs" | bc -l
}

echo "cpus: $(nproc)  load: $(cut -d' ' -f1 /proc/loadavg)  runs per file: $runs  $(soffice --version | head -1)"
printf '%-18s %9s %11s %13s %11s %12s %10s %8s\n' file bytes "disarm f/s" "mugai disarm" "sandbox s" "mugai flat s" "soffice s" "flat/so"
for f in "${files[@]}"; do
	bytes=$(stat -c %s "$f")
	disarm=$(MUGAI_BENCH_DOCX=$f "$work/office.test" -test.run '^$' -test.bench '^BenchmarkDisarmDOCX$' \
		-test.benchtime 200x -test.cpu 1 | grep '^BenchmarkDisarmDOCX' | metric files/s)
	sandbox=$(MUGAI_BENCH_DOCX=$f "$work/office.test" -test.run '^$' -test.bench '^BenchmarkConvertToPDF$' \
		-test.benchtime "${runs}x" | grep '^BenchmarkConvertToPDF' | metric s/file)
	mdisarm=$(timeit "$work/mugai" sanitize -o "$work/out-d" "$f")
	mflat=$(timeit "$work/mugai" sanitize --policy "$work/flatten.toml" -o "$work/out-f" "$f")
	plain=$(timeit soffice "-env:UserInstallation=file://$work/profile" --headless --convert-to pdf --outdir "$work/plain" "$f")
	printf '%-18s %9d %11.1f %13.3f %11.2f %12.2f %10.2f %8.2f\n' "$(basename "$f")" "$bytes" "$disarm" "$mdisarm" \
		"$sandbox" "$mflat" "$plain" "$(echo "$mflat / $plain" | bc -l)"
done
ls "$work"/out-f/*.pdf >/dev/null 2>&1 || echo "note: mugai wrote no flattened PDF (see $work/out-f reports)" >&2
