#!/usr/bin/env bash
# Side by side with peers (issue 8; not part of the default test run): one
# private JACK server (dummy backend, 48 kHz, PERIOD frames) runs at once
#   - dubstage with configs/bench-256-full.json (256 mono strips, each with
#     HPF, 4-band EQ, gate, compressor, two sends, 7.1.4 pan and meters, into
#     eight 7.1.4 stems and a limited 7.1.4 printmaster, loudness measured);
#   - jack_mixer 17 (Debian jack-mixer), driven headless through its Python
#     module: 256 mono input channels at 0 dB into a stereo main output
#     (volume, balance and meters only);
#   - ecasound 2.9: 256 mono chains, JACK in and out, each a high-pass, a
#     band-pass and a gain;
# every input of every one fed the same sine (jack_simple_client). Each
# program's CPU time (user + system, /proc/PID/stat, all its threads) over
# the same SECONDS, after they settle, is divided by its channels x samples:
# ns per channel-sample, the work of a whole process, JACK's port handling
# included. dubstage's own callback time (/timing) is printed too.
# dubstage runs with --threads THREADS (default 1: the CPU time of one
# thread doing all the work; with 2 the worker's share is counted too, and
# the process thread's wait for it).
# With WINDOWS > 1 the same programs are measured over that many windows of
# SECONDS one after another, each window's ratio printed, then their median
# (jack_mixer's own figure moves by a third between runs on this VM).
# DUBSTAGE=binary runs another build of dubstage (A/B runs).
#   scripts/peers.sh [PERIOD (256)] [SECONDS (30)] [THREADS (1)] [WINDOWS (1)]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh jack-mixer ecasound
scripts/build.sh >/dev/null
period="${1:-256}"
seconds="${2:-30}"
threads="${3:-1}"
windows="${4:-1}"
channels=256
work=$(mktemp -d)
. scripts/jack_lib.sh
mixer_pid=""
eca_pid=""
sine_pid=""
stop_peers() {
  for p in $mixer_pid $eca_pid $sine_pid; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  mixer_pid="" eca_pid="" sine_pid=""
}
trap 'stop_peers; cleanup' EXIT

server="dubstage-peers-$$"
start_jackd "$server" "$period" "$work/jackd.log" 4096
export JACK_DEFAULT_SERVER="$server" JACK_NO_START_SERVER=1

# dubstage, with a state folder of its own
config="$work/console.json"
private_console configs/bench-256-full.json "$config"
port=$((20000 + RANDOM % 20000))
"${DUBSTAGE:-build/dubstage}" run "$config" --server "$server" --osc-port "$port" --fresh --threads "$threads" \
  >"$work/dubstage.log" 2>&1 &
engine_pid=$!

# jack_mixer: its Python module (Debian's python3, where the package puts it)
/usr/bin/python3 - "$channels" >"$work/mixer.log" 2>&1 <<'PY' &
import signal, sys, time
from jack_mixer import _jack_mixer as jm
mixer = jm.Mixer("jack_mixer", True)
main = mixer.add_output_channel("Main", True, False)
main.volume = 0.0
keep = []
for k in range(int(sys.argv[1])):
    ch = mixer.add_channel(f"in{k + 1}", False)
    ch.volume = 0.0
    keep.append(ch)
print("ready", flush=True)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(1)
PY
mixer_pid=$!

jack_simple_client >/dev/null 2>&1 &
sine_pid=$!

# every input fed, once the ports exist
# (up to 60 s: ecasound makes its 512 ports one by one, and once in a run
# beside the others 20 s were not enough)
wait_ports() { # pattern count
  local have=0
  for _ in $(seq 600); do
    have=$(jack_lsp | grep -c "$1" || true)
    [ "$have" -ge "$2" ] && return 0
    sleep 0.1
  done
  echo "peers: only $have of $2 ports matching $1 appeared in 60 s; the logs:" >&2
  tail -n 5 "$work"/*.log >&2
  exit 1
}
wait_ports '^dubstage:in_' "$channels"
wait_ports '^jack_mixer:in' "$channels"

# ecasound once the others are up: started beside jack_mixer, its 512 port
# registrations (and its chains' load) kept jack_mixer's client from
# opening within 60 s in about one run in three
# ecasound: a chain per channel, its ports not connected by ecasound
eca_args=(-q -G:jack,ecasound,notransport -f:f32_le,1,48000 -z:mixmode,sum)
for k in $(seq "$channels"); do
  eca_args+=(-a:"$k" -i:jack,,in"$k" -o:jack,,out"$k" -efh:80 -efb:1000,500 -ea:80)
done
ecasound "${eca_args[@]}" >"$work/ecasound.log" 2>&1 &
eca_pid=$!

wait_ports '^ecasound:in' "$channels"
wait_ports '^jack_simple_client:output1' 1
for p in $(jack_lsp | grep -E '^(dubstage:in_|jack_mixer:in[0-9]|ecasound:in[0-9])'); do
  jack_connect jack_simple_client:output1 "$p"
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
sleep 5
hz=$(getconf CLK_TCK)
: >"$work/ratios"
for w in $(seq "$windows"); do
  [ "$windows" -gt 1 ] && echo "window $w of $windows:"
  t0=$(date +%s.%N)
  declare -A c0
  for n in engine mixer eca; do pid_var="${n}_pid"; c0[$n]=$(cpu_ticks "${!pid_var}"); done
  sleep "$seconds"
  t1=$(date +%s.%N)
  declare -A c1
  for n in engine mixer eca; do pid_var="${n}_pid"; c1[$n]=$(cpu_ticks "${!pid_var}"); done
  read -r over w50 w99 wmax late < <(timing "$port")
  read -r p50 p99 mx xr strips < <(info "$port")
  python3 - "$t0" "$t1" "$hz" "$channels" "$period" \
    "${c0[engine]}" "${c1[engine]}" "${c0[mixer]}" "${c1[mixer]}" "${c0[eca]}" "${c1[eca]}" "$p50" "$p99" \
    "$work/ratios" <<'PY'
import sys
t0, t1, hz, n, period = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
ticks = [int(x) for x in sys.argv[6:12]]
p50, p99 = float(sys.argv[12]), float(sys.argv[13])
wall = t1 - t0
samples = n * 48000 * wall
res = {}
for k, name in enumerate(["dubstage (full strip)", "jack_mixer (volume, balance, meters)", "ecasound (HPF + BPF + gain)"]):
    cpu = (ticks[2 * k + 1] - ticks[2 * k]) / hz
    res[name] = cpu / samples * 1e9
    print(f"{name}: {n} channels, {cpu:.2f} s of CPU in {wall:.1f} s ({100 * cpu / wall:.1f} % of a core, "
          f"{100 * cpu / wall / n:.3f} % per channel): {res[name]:.1f} ns per channel-sample")
d, j, e = res.values()
print(f"period {period}: dubstage per strip / jack_mixer per channel = {d / j:.2f}; / ecasound per chain = {d / e:.2f}")
own = p50 / 100 * period / 48000 * 1e9 / (n * period)
print(f"dubstage's own callback: p50 {p50:.1f} %, p99 {p99:.1f} % of the period (since it started); at p50 {own:.1f} ns "
      f"per strip-sample (the rest of its CPU: JACK's port handling, the loudness and meter threads, OSC)")
open(sys.argv[14], "a").write(f"{d / j:.4f}\n")
PY
done
if [ "$windows" -gt 1 ]; then
  sort -n "$work/ratios" | awk '{v[NR] = $1} END {printf "median over %d windows: dubstage per strip / jack_mixer per channel = %.2f (from %.2f to %.2f)\n", NR, v[int((NR + 1) / 2)], v[1], v[NR]}'
fi
stop_peers
