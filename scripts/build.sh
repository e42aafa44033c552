#!/usr/bin/env bash
# Configures (once) and builds dubstage into BUILD_DIR (default: build).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${BUILD_DIR:-build}"
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" ${MESON_ARGS:-} >/dev/null
fi
# quiet when it builds; the compiler's messages when it does not
if ! meson compile -C "$dir" >"$dir/compile.log" 2>&1; then
  cat "$dir/compile.log" >&2
  exit 1
fi
