#!/usr/bin/env bash
# The second README command (and .ci/run): install what is missing, build
# with warnings as errors, and run every test: the unit suites and the
# integration test, which starts its own private JACK server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
BUILD_DIR=build-test MESON_ARGS="-Dwerror=true -Dbuildtype=debugoptimized" scripts/build.sh

status=0
meson test -C build-test --print-errorlogs --num-processes 2 || status=$?

# One closing line over every Check test case of every suite.
python3 - build-test/meson-logs/testlog.json <<'PY'
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
exit $status
