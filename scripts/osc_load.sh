#!/usr/bin/env bash
# OSC load (not part of the default test run): CONFIG (default
# configs/bench-256.json) under a private JACK server (dummy backend) while
# SURFACES senders (default 4) each send RATE messages a second (default
# 2000) for SECONDS (default 30) to its strips (tests/osc_load.c), at each
# period size (default "256 64"). The server first runs SECONDS alone, so
# the engine's xruns compare with what the dummy backend makes by itself.
# Prints xruns, the engine's own callback time (/info), the fader feedback
# latency to one more subscribed surface, and whether the final state equals
# the last value sent to every parameter.
#   scripts/osc_load.sh [CONFIG] [SECONDS] ["PERIODS"] [SURFACES] [RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
config="${1:-configs/bench-256.json}"
seconds="${2:-30}"
periods="${3:-256 64}"
surfaces="${4:-4}"
rate="${5:-2000}"
work=$(mktemp -d)
. scripts/jack_lib.sh

for period in $periods; do
  server="dubstage-load-$$-$period"
  log="$work/jackd-$period.log"
  start_jackd "$server" "$period" "$log"
  sleep "$seconds"
  idle=$(xruns_in_log "$log")
  port=$((20000 + RANDOM % 20000))
  build/dubstage run "$config" --server "$server" --osc-port "$port" >"$work/engine-$period.log" 2>&1 &
  engine_pid=$!
  sleep 2
  before=$(xruns_in_log "$log")
  read -r _ _ _ xr0 strips < <(info "$port")
  status=0
  result=$(build/tests/osc_load "$port" "$seconds" "$surfaces" "$rate" "$strips") || status=$?
  after=$(xruns_in_log "$log")
  read -r p50 p99 mx xr1 strips < <(info "$port")
  echo "period $period, $strips strips: server xruns alone $idle in ${seconds} s; under load $((after - before))" \
       "(dubstage's own count $((xr1 - xr0))); callback p50 $p50 %, p99 $p99 %, max $mx % of the period (since start)"
  echo "  $result"
  stop_all
  [ "$status" -eq 0 ] || { echo "final state differs from what was sent" >&2; exit 1; }
done
