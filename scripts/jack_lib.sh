# Shared by the scripts that run a private JACK server (soak, osc_load,
# soak_live, peers, jack_bench): the server and dubstage, cleaned up on
# exit, the console's private copy, their xruns and dubstage's /info.
# The sourcing script sets `work` (a temporary folder) first.

jackd_pid=""
engine_pid=""
cleanup() {
  for p in $engine_pid $jackd_pid; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# start_jackd SERVER PERIOD LOG [PORTS]: a dummy-backend server at 48 kHz
# (with room for PORTS ports: a large console needs more than the default
# 2,048), waited for.
start_jackd() {
  jackd -n "$1" ${4:+-p "$4"} -d dummy -r 48000 -p "$2" >"$3" 2>&1 &
  jackd_pid=$!
  for _ in $(seq 50); do JACK_NO_START_SERVER=1 jack_lsp -s "$1" >/dev/null 2>&1 && break; sleep 0.1; done
}

# stop_all: the engine, then the server (both by PID).
stop_all() {
  if [ -n "$engine_pid" ]; then kill "$engine_pid"; wait "$engine_pid" 2>/dev/null || true; engine_pid=""; fi
  if [ -n "$jackd_pid" ]; then kill "$jackd_pid"; wait "$jackd_pid" 2>/dev/null || true; jackd_pid=""; fi
}

# private_console IN OUT: the console IN written to OUT with its snapshots
# and live state in folders of its own under $work, so that nothing of an
# earlier run comes back and nothing is left behind.
private_console() {
  python3 - "$1" "$2" "$work" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["snapshots"] = sys.argv[3] + "/snapshots"
c["state"] = sys.argv[3] + "/state"
json.dump(c, open(sys.argv[2], "w"))
PY
}

# fed_console NAME CONFIG PERIOD THREADS: a private server (4,096 ports) at
# PERIOD frames, dubstage running CONFIG on it with --threads THREADS and
# every strip input fed jack_simple_client's sine. Sets server, port (OSC),
# engine_pid and sine_pid (the caller's trap stops the sine).
fed_console() {
  server="$1-$$"
  start_jackd "$server" "$3" "$work/jackd.log" 4096
  export JACK_DEFAULT_SERVER="$server" JACK_NO_START_SERVER=1
  private_console "$2" "$work/console.json"
  port=$((20000 + RANDOM % 20000))
  "${DUBSTAGE:-build/dubstage}" run "$work/console.json" --server "$server" --osc-port "$port" --fresh --threads "$4" \
    >"$work/dubstage.log" 2>&1 &
  engine_pid=$!
  jack_simple_client >/dev/null 2>&1 &
  sine_pid=$!
  for _ in $(seq 300); do
    jack_lsp 2>/dev/null | grep -q '^jack_simple_client:output1' && jack_lsp 2>/dev/null | grep -q '^dubstage:in_' && break
    sleep 0.1
  done
  sleep 2 # every port of the console made
  local p
  for p in $(jack_lsp | grep -E '^dubstage:in_'); do jack_connect jack_simple_client:output1 "$p"; done
}

xruns_in_log() { grep -c "XRun" "$1" 2>/dev/null || true; }

# xrun_kinds LOG FROM_LINE -> "TIMER CLIENTS": the server's XRun lines from
# line FROM_LINE on, by cause (jack2's common/JackTimedDriver.cpp and
# JackEngine.cpp). TIMER: "JackTimedDriver::Process XRun", the dummy
# driver's own sleep ended after the next period was due (it waits for no
# client; its cycle itself takes microseconds). CLIENTS: "JackEngine::XRun:
# client = ...", a client had not finished its period when the next began.
xrun_kinds() {
  local timer clients
  timer=$(tail -n +"$2" "$1" | grep -c "JackTimedDriver::Process XRun" || true)
  clients=$(tail -n +"$2" "$1" | grep -c "JackEngine::XRun: client" || true)
  echo "$timer $clients"
}
log_lines() { wc -l <"$1"; }

info() { # port -> "p50 p99 max xruns" from /info
  python3 - "$1" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(b"/info\0\0\0,\0\0\0", ("127.0.0.1", int(sys.argv[1])))
d = s.recv(4096)
tags_at = d.index(b",")
args = d[(tags_at + 12):]            # ",siiiifffi\0\0" is 12 bytes
ver_len = (args.index(b"\0") // 4 + 1) * 4
r = args[ver_len:]
rate, period, strips, buses = struct.unpack(">iiii", r[:16])
p50, p99, mx = struct.unpack(">fff", r[16:28])
xr, = struct.unpack(">i", r[28:32])
print(f"{p50:.2f} {p99:.2f} {mx:.2f} {xr} {strips}")
PY
}


timing() { # port -> "over_budget start_p50 start_p99 start_max late_finishes" from /timing
  python3 - "$1" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(b"/timing\0,\0\0\0", ("127.0.0.1", int(sys.argv[1])))
d = s.recv(4096)
r = d[d.index(b",hfffhfffhi") + 12:]  # ",hfffhfffhi\0" is 12 bytes
periods, p50, p99, mx, over, w50, w99, wmax, late, xr = struct.unpack(">qfffqfffqi", r[:52])
print(f"{over} {w50:.2f} {w99:.2f} {wmax:.2f} {late}")
PY
}
