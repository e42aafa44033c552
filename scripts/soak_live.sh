#!/usr/bin/env bash
# Live soak (issue 7; not part of the default test run): CONFIG (default
# configs/bench-256.json) under a private JACK server (dummy backend, 48 kHz)
# at each period size (default "64 256"), for SECONDS each (default 300),
# with the RT-safety interposer preloaded, while 4 surfaces send 2,000
# messages a second each (tests/osc_load.c) and a fifth recalls a snapshot
# every 10 s (stopping 5 s before the end, so that the surfaces' last values
# stand). The server first runs IDLE seconds alone (default SECONDS): its
# xruns are the baseline.
# Reports xruns (alone, and under the soak: the server's log and dubstage's
# own count), the callback's load, RT-safety violations, resident memory at
# the start, the end and its most, OSC datagrams refused and malformed, the
# feedback latency, and whether the final state equals what was sent last.
#   scripts/soak_live.sh [SECONDS] ["PERIODS"] [CONFIG] [IDLE]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
seconds="${1:-300}"
periods="${2:-64 256}"
config_in="${3:-configs/bench-256.json}"
idle_seconds="${4:-$seconds}"
work=$(mktemp -d)
. scripts/jack_lib.sh

# the console, with a snapshots folder and a live state of its own
config="$work/console.json"
private_console "$config_in" "$config"

osc() { # port path [type value]: one message, no reply read
  python3 - "$@" <<'PY'
import socket, struct, sys
def pad(b): return b + b"\0" * (4 - len(b) % 4)
port, path, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
tags, data = ",", b""
for k in range(0, len(args), 2):
    t, v = args[k], args[k + 1]
    tags += t
    data += pad(v.encode()) if t == "s" else struct.pack(">f" if t == "f" else ">i", float(v) if t == "f" else int(v))
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(pad(path.encode()) + pad(tags.encode()) + data, ("127.0.0.1", port))
PY
}

status_counts() { # port -> "refused malformed"
  python3 - "$1" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(b"/status\0,\0\0\0", ("127.0.0.1", int(sys.argv[1])))
d = s.recv(4096)
args = d[d.index(b",sshh") + 8:]
i = 0
for _ in range(2):                       # two padded strings
    end = args.index(b"\0", i); i = (end // 4 + 1) * 4
print(*struct.unpack(">qq", args[i:i + 16]))
PY
}

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

for period in $periods; do
  server="dubstage-soak-live-$$-$period"
  log="$work/jackd-$period.log"
  start_jackd "$server" "$period" "$log"
  sleep "$idle_seconds"
  idle=$(xruns_in_log "$log")
  read -r idle_timer idle_client < <(xrun_kinds "$log" 1)
  port=$((20000 + RANDOM % 20000))
  LD_PRELOAD="$PWD/build/librtguard.so" build/dubstage run "$config" --server "$server" --osc-port "$port" --fresh \
    >"$work/engine-$period.log" 2>&1 &
  engine_pid=$!
  sleep 2
  osc "$port" /snapshot/save s soak
  sleep 1
  before=$(xruns_in_log "$log"); from=$(( $(log_lines "$log") + 1 ))
  read -r _ _ _ xr0 strips < <(info "$port")
  rss0=$(rss_kb "$engine_pid"); rss_max=$rss0
  build/tests/osc_load "$port" "$seconds" 4 2000 "$strips" >"$work/load-$period.txt" 2>&1 &
  load_pid=$!
  recalls=0
  end=$((SECONDS + seconds))
  while [ $SECONDS -lt $((end - 5)) ]; do
    sleep 10
    [ $SECONDS -lt $((end - 5)) ] || break
    osc "$port" /snapshot/recall s soak f 1
    recalls=$((recalls + 1))
    r=$(rss_kb "$engine_pid"); [ "$r" -gt "$rss_max" ] && rss_max=$r
  done
  load_status=0
  wait "$load_pid" || load_status=$?
  after=$(xruns_in_log "$log")
  read -r timer_late client_late < <(xrun_kinds "$log" "$from")
  read -r p50 p99 mx xr1 strips < <(info "$port")
  read -r over_budget start50 start99 start_max late_finishes < <(timing "$port")
  read -r refused malformed < <(status_counts "$port")
  rss1=$(rss_kb "$engine_pid"); [ "$rss1" -gt "$rss_max" ] && rss_max=$rss1
  stop_all
  violations=$(grep -c "called on the RT thread" "$work/engine-$period.log" || true)
  checked=$(grep -o "RT guard: [0-9]* guarded regions checked" "$work/engine-$period.log" || echo "RT guard: no report")
  echo "period $period, $strips strips, $seconds s: xruns alone $idle in $idle_seconds s, under the soak $((after - before))" \
       "(dubstage's own count $((xr1 - xr0))); callback p50 $p50 %, p99 $p99 %, max $mx %"
  echo "  xruns by cause: alone, the server's timer late $idle_timer, a client late $idle_client;" \
       "under the soak, the server's timer late $timer_late, a client late $client_late"
  echo "  dubstage's periods: $late_finishes still running when the next cycle began, $over_budget" \
       "took the whole period for their own work; the callback started p50 $start50 %, p99 $start99 %," \
       "max $start_max % of a period after its cycle began"
  echo "  RT safety: $violations violations ($checked); $recalls snapshot recalls"
  echo "  resident memory: $rss0 kB at the start, $rss1 kB at the end, $rss_max kB at most"
  echo "  OSC: $refused datagrams refused, $malformed malformed"
  echo "  $(cat "$work/load-$period.txt")"
  [ "$load_status" -eq 0 ] || { echo "final state differs from what was sent" >&2; exit 1; }
  [ "$violations" -eq 0 ] || { echo "RT-safety violations: $work/engine-$period.log" >&2; exit 1; }
done
