#!/usr/bin/env bash
# A large console under a private JACK server (issue 8's first and second
# goals; not part of the default test run): jackd with the dummy backend at
# 48 kHz, PERIOD frames and 4,096 ports, dubstage running CONFIG with
# --threads THREADS, every strip input fed jack_simple_client's sine. After
# SECONDS, prints the engine's own callback time (/info, /timing: counted
# from the start) and the server's xruns by cause.
#   scripts/jack_bench.sh [CONFIG (configs/bench-1024-full.json)] [PERIOD (64)] [SECONDS (30)] [THREADS (2)]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh >/dev/null
config="${1:-configs/bench-1024-full.json}"
period="${2:-64}"
seconds="${3:-30}"
threads="${4:-2}"
work=$(mktemp -d)
. scripts/jack_lib.sh
sine_pid=""
trap '[ -n "$sine_pid" ] && kill "$sine_pid" 2>/dev/null; cleanup' EXIT

server="dubstage-jack-bench-$$"
start_jackd "$server" "$period" "$work/jackd.log" 4096
export JACK_DEFAULT_SERVER="$server" JACK_NO_START_SERVER=1
private_console "$config" "$work/console.json"
port=$((20000 + RANDOM % 20000))
build/dubstage run "$work/console.json" --server "$server" --osc-port "$port" --fresh --threads "$threads" \
  >"$work/dubstage.log" 2>&1 &
engine_pid=$!
jack_simple_client >/dev/null 2>&1 &
sine_pid=$!
for _ in $(seq 300); do
  jack_lsp 2>/dev/null | grep -q '^jack_simple_client:output1' && jack_lsp 2>/dev/null | grep -q '^dubstage:in_' && break
  sleep 0.1
done
sleep 2 # every port of the console made
for p in $(jack_lsp | grep -E '^dubstage:in_'); do jack_connect jack_simple_client:output1 "$p"; done
from=$(log_lines "$work/jackd.log")
sleep "$seconds"
read -r p50 p99 mx xr strips < <(info "$port")
read -r over w50 w99 wmax late < <(timing "$port")
read -r timer clients < <(xrun_kinds "$work/jackd.log" "$from")
grep -i "warning" "$work/dubstage.log" || true
echo "jack_bench: $(basename "$config"), $strips strips, $period frames, $threads thread(s), $seconds s fed:"
echo "  callback (own time) p50 $p50 %, p99 $p99 %, max $mx % of the period; $over periods at or over the period"
echo "  callback start after its cycle began: p50 $w50 %, p99 $w99 %, max $wmax %; $late periods still running when the next began"
echo "  xruns in the $seconds s: $timer the server's timer, $clients a client late (dubstage counted $xr since it started)"
