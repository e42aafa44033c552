# Shared by scripts/soak.sh and scripts/osc_load.sh: reading a private JACK
# server's xruns and dubstage's /info.

xruns_in_log() { grep -c "XRun" "$1" 2>/dev/null || true; }

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

