#!/usr/bin/env bash
# The second README command (and .ci/run): install what is missing, build
# with warnings as errors, and run every test: the unit suites and the
# integration test, which starts its own private JACK server; then the unit
# suites again built with AddressSanitizer (leaks included) and
# UndefinedBehaviorSanitizer, and the threaded ones with ThreadSanitizer,
# where any report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
BUILD_DIR=build-test MESON_ARGS="-Dwerror=true -Dbuildtype=debugoptimized" scripts/build.sh

status=0
meson test -C build-test --print-errorlogs --num-processes 2 || status=$?

# liblo hands out its arguments 4-byte aligned (lo_arg holds a double), so
# the alignment check is left to the compiler's own x86 code; every other
# undefined behaviour stops the test that meets it. This build has no AVX-512
# clones (dsp/rt.h): on an AVX-512 machine the first build's kernel tests
# meet the AVX-512 clones, this one's the AVX2 clones.
CFLAGS="-fno-sanitize=alignment -fno-sanitize-recover=undefined" BUILD_DIR=build-sanitize \
  MESON_ARGS="-Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Dintegration=false -Dwidest_clone=avx2" \
  scripts/build.sh
# The sanitizers run code 2-10 times slower: Check's time limits stretch with them.
CK_TIMEOUT_MULTIPLIER=4 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  meson test -C build-sanitize --print-errorlogs --num-processes 2 --timeout-multiplier 3 || status=$?

# ThreadSanitizer over the suites whose code runs threads of its own (the
# loudness meter thread, the print disk thread, RT and control sides of the
# engine's queues, the worker thread and the graph parts it runs). The test
# of the JACK command line is left out: libjack is not instrumented and
# starts threads TSan cannot follow (tests/tsan.supp).
# This build has no target clones (dsp/rt.h): the DSP kernel suites run here
# too, so that their baseline (SSE) loops meet the scalar references as the
# wider clones do in the first two builds.
BUILD_DIR=build-tsan \
  MESON_ARGS="-Dbuildtype=debugoptimized -Db_sanitize=thread -Dintegration=false" scripts/build.sh
CK_TIMEOUT_MULTIPLIER=4 TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/tests/tsan.supp" \
  meson test -C build-tsan --print-errorlogs --num-processes 2 --timeout-multiplier 3 \
  loudness print engine osc snapshot autosave worker graph gain meter filter dynamics true_peak k_weighting record_ring bench lanes || status=$?

# One closing line over every Check test case of every suite and build.
for log in build-test/meson-logs/testlog.json build-sanitize/meson-logs/testlog.json build-tsan/meson-logs/testlog.json; do
printf "%s: " "${log%%/*}"
python3 - "$log" <<'PY'
import json, re, sys
checks = failed = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    m = re.search(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)", t.get("stdout", ""))
    if m:
        checks += int(m.group(1))
        failed += int(m.group(2)) + int(m.group(3))
    elif t.get("result") != "OK":
        failed += 1
print(f"{checks - failed if checks >= failed else 0} passed, {failed} failed")
PY
done
exit $status
