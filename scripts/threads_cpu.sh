#!/usr/bin/env bash
# Where a running console's CPU goes, thread by thread (issue 8; not part of
# the default test run): a private JACK server (dummy backend, 48 kHz,
# PERIOD frames, 4,096 ports), dubstage running CONFIG with --threads
# THREADS, every strip input fed jack_simple_client's sine. After 3 s of
# settling, each of dubstage's threads' CPU time (user + system,
# /proc/PID/task/TID/stat) over SECONDS, as a share of one core, by thread
# name: dubstage (the control thread), dubstage-loud (the loudness meter),
# dubstage-print (a print's disk thread), dubstage-worker (the second RT
# thread); the JACK process thread and libjack's own carry the client's
# name. Then the engine's own callback time (/info).
#   scripts/threads_cpu.sh [CONFIG (configs/bench-256-full.json)] [PERIOD (256)] [SECONDS (10)] [THREADS (1)]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh >/dev/null
config="${1:-configs/bench-256-full.json}"
period="${2:-256}"
seconds="${3:-10}"
threads="${4:-1}"
work=$(mktemp -d)
. scripts/jack_lib.sh
sine_pid=""
trap '[ -n "$sine_pid" ] && kill "$sine_pid" 2>/dev/null; cleanup' EXIT

server="dubstage-threads-$$"
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
sleep 3
ticks() { # "tid name cpu_ticks" per thread of the engine
  for t in /proc/"$engine_pid"/task/*; do
    printf '%s %s %s\n' "$(basename "$t")" "$(tr ' ' _ <"$t/comm")" "$(awk '{print $14 + $15}' "$t/stat")"
  done
}
ticks >"$work/before"
sleep "$seconds"
ticks >"$work/after"
hz=$(getconf CLK_TCK)
echo "threads_cpu: $(basename "$config"), $period frames, $threads thread(s), $seconds s:"
join "$work/before" "$work/after" | awk -v s="$seconds" -v hz="$hz" '
  { share = ($5 - $3) / hz / s * 100; total += share; printf "  %-8s %-16s %5.1f %% of a core\n", $1, $2, share }
  END { printf "  all threads: %.1f %% of a core\n", total }'
read -r p50 p99 mx xr strips < <(info "$port")
echo "  the engine's own callback: p50 $p50 %, p99 $p99 % of the period ($strips strips)"
