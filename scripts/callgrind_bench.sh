#!/usr/bin/env bash
# Instructions per strip-sample (issue 8; not part of the default test run):
# runs `dubstage bench CONFIG` under valgrind's callgrind, counting only
# inside engine_end_rt (the period's work: commands, graph, meters, taps), and
# divides by strips x frames. Instruction counts do not depend on what else
# the machine runs, unlike the bench's times. Valgrind 3.19 knows no AVX-512:
# the CPU it shows the program has AVX2 at most, so the AVX2 clones of the
# vector kernels are what it counts.
#   scripts/callgrind_bench.sh [CONFIG] [PERIOD] [SECONDS (whole, default 1)]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh valgrind
scripts/build.sh >/dev/null
config="${1:-configs/bench-1024-full.json}"
period="${2:-64}"
seconds="${3:-1}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
valgrind --tool=callgrind --toggle-collect=engine_end_rt --callgrind-out-file="$work/cg.out" \
  build/dubstage bench "$config" --period "$period" --seconds "$seconds" >"$work/bench.txt" 2>"$work/valgrind.txt" ||
  { cat "$work/bench.txt" "$work/valgrind.txt" >&2; exit 1; }
strips=$(sed -n 's/^bench: \([0-9]*\) strips.*/\1/p' "$work/bench.txt")
periods=$(sed -n 's/.* \([0-9]*\) periods (.*/\1/p' "$work/bench.txt")
ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$work/cg.out")
python3 - "$ir" "$strips" "$periods" "$period" "$config" <<'PY'
import sys
ir, strips, periods, frames, config = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
samples = strips * periods * frames
print(f"{config}: {strips} strips, {periods} periods of {frames} frames: {ir:,} instructions in engine_end_rt, "
      f"{ir / samples:.1f} per strip-sample, {ir / periods:,.0f} per period")
PY
callgrind_annotate --inclusive=no "$work/cg.out" 2>/dev/null | sed -n '/^Ir/,$p' | head -25
