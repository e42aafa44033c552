#!/usr/bin/env bash
# Soak (not part of the default test run): runs CONFIG (default
# configs/bench-256.json) under a private JACK server with the dummy backend,
# for SECONDS (default 60) at each period size (default "256 64").
# In each run the same server first runs SECONDS with no client at all, then
# SECONDS with JACK's own trivial jack_simple_client (a sine generator: what
# any client costs in wakeups), then SECONDS with dubstage, so the engine's
# xruns are compared with what the dummy backend and a null client make on
# this machine. DSP load is the
# engine's own callback time (/info: p50, p99, max as a share of the period).
#   scripts/soak.sh [CONFIG] [SECONDS] ["PERIODS"]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
config="${1:-configs/bench-256.json}"
seconds="${2:-60}"
periods="${3:-256 64}"
work=$(mktemp -d)

. scripts/jack_lib.sh

printf "%-7s %-7s %-11s %-13s %-14s %-8s %-8s %-8s\n" period strips "idle xruns" "null client" "dubstage" "p50 %" "p99 %" "max %"
for period in $periods; do
  server="dubstage-soak-$$-$period"
  log="$work/jackd-$period.log"
  start_jackd "$server" "$period" "$log"
  sleep "$seconds"
  idle=$(xruns_in_log "$log")
  JACK_DEFAULT_SERVER="$server" jack_simple_client >/dev/null 2>&1 &
  engine_pid=$!
  sleep "$seconds"
  kill "$engine_pid"; wait "$engine_pid" 2>/dev/null || true; engine_pid=""
  null_client=$(( $(xruns_in_log "$log") - idle ))
  port=$((20000 + RANDOM % 20000))
  build/dubstage run "$config" --server "$server" --osc-port "$port" >"$work/engine-$period.log" 2>&1 &
  engine_pid=$!
  sleep 2
  before=$(xruns_in_log "$log")
  sleep "$seconds"
  after=$(xruns_in_log "$log")
  read -r p50 p99 mx engine_xruns strips < <(info "$port")
  printf "%-7s %-7s %-11s %-13s %-14s %-8s %-8s %-8s\n" "$period" "$strips" "$idle" "$null_client" \
         "$((after - before)) ($engine_xruns)" "$p50" "$p99" "$mx"
  stop_all
done
echo "xruns per $seconds s, from the server's XRun log lines: the server alone, with jack_simple_client,"
echo "with dubstage (in brackets: the xruns dubstage's own xrun callback counted). p50/p99/max:"
echo "dubstage's callback time as a share of the period, from /info."
