#!/usr/bin/env bash
# The first README command: install what is missing, build, and run the
# console on configs/default.json (or the CONFIG given). Joins the running
# JACK server; when none runs, starts one with the dummy backend (no sound
# card needed) and stops it again when dubstage stops (Ctrl-C).
#   scripts/run.sh [CONFIG] [dubstage run options...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh

config=configs/default.json
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then config="$1"; shift; fi
server="${JACK_DEFAULT_SERVER:-default}"

jackd_pid=""
cleanup() {
  if [ -n "$jackd_pid" ] && kill -0 "$jackd_pid" 2>/dev/null; then
    echo "dubstage: stopping the JACK server it started (pid $jackd_pid)" >&2
    kill "$jackd_pid"
    wait "$jackd_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

if ! JACK_NO_START_SERVER=1 jack_lsp -s "$server" >/dev/null 2>&1; then
  log="${TMPDIR:-/tmp}/dubstage-jackd-$$.log"
  echo "dubstage: no JACK server \"$server\" is running: starting one with the dummy backend" \
       "(48000 Hz, 256 frames; log $log)" >&2
  # Its own session, so Ctrl-C reaches dubstage first; we stop jackd after.
  setsid jackd -n "$server" -d dummy -r 48000 -p 256 >"$log" 2>&1 &
  jackd_pid=$!
  for _ in $(seq 50); do
    JACK_NO_START_SERVER=1 jack_lsp -s "$server" >/dev/null 2>&1 && break
    sleep 0.1
  done
  JACK_NO_START_SERVER=1 jack_lsp -s "$server" >/dev/null 2>&1 || { cat "$log" >&2; exit 1; }
fi

# In the background so that this script's traps run when it is signalled
# (bash defers them while a foreground command runs): SIGTERM/SIGINT stop
# the console, SIGHUP reloads its config, and the EXIT trap then stops the
# JACK server it started.
JACK_DEFAULT_SERVER="$server" build/dubstage run "$config" "$@" &
console_pid=$!
for sig in TERM INT HUP; do
  trap "kill -$sig $console_pid 2>/dev/null || true" "$sig"
done
status=0
while kill -0 "$console_pid" 2>/dev/null; do
  wait "$console_pid" && status=0 || status=$?
done
exit "$status"
