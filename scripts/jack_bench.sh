#!/usr/bin/env bash
# A large console under a private JACK server (issue 8's first and second
# goals; not part of the default test run): jackd with the dummy backend at
# 48 kHz, PERIOD frames and 4,096 ports, dubstage running CONFIG with
# --threads THREADS, every strip input fed jack_simple_client's sine. After
# SECONDS, prints the engine's own callback time (/info, /timing: counted
# from the start), the server's xruns by cause, and each of dubstage's
# threads' CPU over those SECONDS (/proc/PID/task: dubstage is the control
# thread and, with the client's name, JACK's; dubstage-loud the loudness
# meter, dubstage-worker the second RT thread, dubstage-save the live
# state's writer).
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

fed_console dubstage-jack-bench "$config" "$period" "$threads"
from=$(log_lines "$work/jackd.log")
ticks() { # "tid name cpu_ticks" per thread of the engine (user + system)
  for t in /proc/"$engine_pid"/task/*; do
    printf '%s %s %s\n' "$(basename "$t")" "$(tr ' ' _ <"$t/comm")" "$(awk '{print $14 + $15}' "$t/stat")"
  done
}
ticks >"$work/before"
sleep "$seconds"
ticks >"$work/after"
read -r p50 p99 mx xr strips < <(info "$port")
read -r over w50 w99 wmax late < <(timing "$port")
read -r timer clients < <(xrun_kinds "$work/jackd.log" "$from")
grep -i "warning" "$work/dubstage.log" || true
echo "jack_bench: $(basename "$config"), $strips strips, $period frames, $threads thread(s), $seconds s fed:"
echo "  callback (own time) p50 $p50 %, p99 $p99 %, max $mx % of the period; $over periods at or over the period"
echo "  callback start after its cycle began: p50 $w50 %, p99 $w99 %, max $wmax %; $late periods still running when the next began"
echo "  xruns in the $seconds s: $timer the server's timer, $clients a client late (dubstage counted $xr since it started)"
echo "  CPU thread by thread over the $seconds s (share of one core):"
join "$work/before" "$work/after" | awk -v s="$seconds" -v hz="$(getconf CLK_TCK)" '
  { share = ($5 - $3) / hz / s * 100; total += share; printf "    %-8s %-16s %5.1f %%\n", $1, $2, share }
  END { printf "    all threads      %5.1f %%\n", total }'
