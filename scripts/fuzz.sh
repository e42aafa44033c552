#!/usr/bin/env bash
# Fuzzing (not part of the default test run): builds the libFuzzer harnesses
# (tests/fuzz/fuzz_*.c) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs each for SECONDS (default 60), starting
# from its seed corpus in tests/fuzz/<name>/. What a run finds that widens
# coverage stays in build-fuzz/corpus/<name> (not committed); a crash, leak
# or undefined behaviour leaves its input in build-fuzz/crashes and fails.
#   scripts/fuzz.sh [SECONDS] ["osc config snapshot"]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh clang libclang-rt-14-dev
seconds="${1:-60}"
targets="${2:-osc config snapshot}"
# liblo hands out 4-byte-aligned lo_args (they hold doubles): the alignment
# check is left out, every other report stops the run
CC=clang CFLAGS="-fno-sanitize=alignment -fno-sanitize-recover=undefined" BUILD_DIR=build-fuzz \
  MESON_ARGS="-Dfuzz=true -Dintegration=false -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized" \
  scripts/build.sh
status=0
mkdir -p build-fuzz/crashes
for t in $targets; do
  mkdir -p "build-fuzz/corpus/$t"
  echo "fuzz_$t: $seconds s from tests/fuzz/$t" >&2
  if ! (cd build-fuzz/crashes && ../fuzz_"$t" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 \
        "../corpus/$t" "../../tests/fuzz/$t" >"../fuzz_$t.log" 2>&1); then
    status=1
    echo "fuzz_$t FOUND A FAULT: build-fuzz/fuzz_$t.log, input in build-fuzz/crashes" >&2
  fi
  grep -E "^stat::number_of_executed_units|^Done|cov:" "build-fuzz/fuzz_$t.log" | tail -2 >&2
done
exit $status
