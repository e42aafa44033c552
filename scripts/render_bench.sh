#!/usr/bin/env bash
# Render speed (not part of the default test run): renders 60 s of
# configs/default.json on one core (taskset -c 1) RUNS times (default 8) into
# a tmpfs folder and prints the render's own time (min and median) and the
# whole command's wall time (median), as multiples of real time.
#   scripts/render_bench.sh [RUNS] [two|all] [CONFIG]
# two (default): BOOM gets 60 s of mono and SCORE 60 s of stereo, the other
#   38 strips are silent; all: every strip gets the mono file. With another
#   CONFIG (e.g. configs/session-64.json, issue 8's 64-strip 7.1.4 session)
#   every strip of it gets the mono file. DUBSTAGE=binary renders with
#   another build (A/B runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
runs="${1:-8}"
feed="${2:-two}"
config="${3:-configs/default.json}"
work=$(mktemp -d)
out=$( [ -d /dev/shm ] && mktemp -d /dev/shm/dubstage-render-XXXXXX || mktemp -d )
trap 'rm -rf "$work" "$out"' EXIT

# Deterministic programme-like inputs, 24-bit 48 kHz: speech-like bursts of
# noise for BOOM, two tones and noise for SCORE.
python3 - "$work" <<'PY'
import math, random, struct, sys
def write(path, ch, frames):
    data = bytearray()
    for i in range(frames):
        data += b"".join(struct.pack("<i", max(-8388608, min(8388607, int(v * 8388607))))[:3] for v in frames_of(i, ch))
    head = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, ch, 48000, 48000 * ch * 3, ch * 3, 24) + b"data" + struct.pack("<I", len(data))
    open(path, "wb").write(head + data)
random.seed(7)
def boom(i, ch):
    env = 0.5 + 0.5 * math.sin(2 * math.pi * 3.1 * i / 48000)  # syllables
    return [0.2 * env * (random.random() * 2 - 1)]
def score(i, ch):
    t = i / 48000
    return [0.15 * math.sin(2 * math.pi * 110 * t) + 0.05 * (random.random() * 2 - 1),
            0.15 * math.sin(2 * math.pi * 165 * t) + 0.05 * (random.random() * 2 - 1)]
frames_of = boom; write(sys.argv[1] + "/boom.wav", 1, 60 * 48000)
frames_of = score; write(sys.argv[1] + "/score.wav", 2, 60 * 48000)
PY

inputs=(--input "BOOM=$work/boom.wav" --input "SCORE=$work/score.wav")
if [ "$config" != configs/default.json ]; then
  feed=all
  inputs=()
  for s in $(python3 - "$config" <<'PY'
import json, sys
for s in json.load(open(sys.argv[1]))["strips"]:
    n = s.get("count", 1)
    print(*([s["name"]] if "count" not in s else [f"{s['name']}{k + 1}" for k in range(n)]))
PY
  ); do inputs+=(--input "$s=$work/boom.wav"); done
elif [ "$feed" = all ]; then
  for s in LAV1 LAV2 LAV3 LAV4 ADR1 ADR2 $(seq -f "FX%g" 1 32); do inputs+=(--input "$s=$work/boom.wav"); done
fi
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  line=$(taskset -c 1 "${DUBSTAGE:-build/dubstage}" render "$config" "${inputs[@]}" --out "$out" 2>&1 | tail -1)
  end=$(date +%s%N)
  echo "$line" | sed -E 's/.* in ([0-9.]+) s .*/\1/' >>"$work/render"
  echo $(( (end - start) / 1000000 )) >>"$work/wall"
done
median() { sort -n "$1" | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
least=$(sort -n "$work/render" | head -1)
awk -v feed="$feed" -v cfg="$config" -v n="$runs" -v least="$least" -v mid="$(median "$work/render")" -v wall="$(median "$work/wall")" 'BEGIN {
  printf "render of 60 s of %s (%s fed), %d runs on one core: render %.2f s min (%.0fx), %.2f s median (%.0fx); whole command %.2f s median (%.0fx)\n",
         cfg, feed, n, least, 60 / least, mid, 60 / mid, wall / 1000, 60000 / wall }'
