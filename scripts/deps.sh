#!/usr/bin/env bash
# Installs the Debian 12 packages dubstage needs, only those missing, and
# any named as arguments (scripts/fuzz.sh adds clang's). Uses sudo only when
# not root.
set -euo pipefail

packages=(
  gcc libc6-dev pkg-config meson ninja-build python3
  libjack-jackd2-dev jackd2 liblo-dev liblo-tools
  libsndfile1-dev libjansson-dev libebur128-dev check
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "dubstage: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# jackd2 asks whether to enable realtime limits; the answer does not matter here.
echo "jackd2 jackd/tweak_rt_limits boolean false" | $sudo debconf-set-selections
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
