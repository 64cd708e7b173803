#!/bin/sh
# Sets up a Debian 12 machine (as root), builds PtychoLive, and runs either the main job or
# every test suite:
#   tools/setup.sh run    install what is missing, build, run a simulated scan headless
#   tools/setup.sh test   install what is missing, build, run every test suite (also ASan+UBSan)
# Safe to run again: it installs only missing packages and reuses the build folders.
set -eu

# Every package the project needs, in one list.
PACKAGES="
  gcc
  libc6-dev
  pkg-config
  meson
  ninja-build
  python3
  python3-numpy
  libglib2.0-dev
  libgdk-pixbuf-2.0-dev
  libfftw3-dev
  libhdf5-dev
  hdf5-tools
  liblz4-dev
  libcbor-dev
  libjson-glib-dev
  libzmq3-dev
  clang
  libgtk-4-dev
  libepoxy-dev
  libgl1-mesa-dri
  xvfb
  xauth
  dbus-daemon
  fonts-dejavu-core
  gettext
  desktop-file-utils
  appstream
"

mode=${1:-run}
case "$mode" in
  run|test) ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
if [ -n "$missing" ]; then
  echo "Installing:$missing"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi

# Builds DIR with the given meson options, configuring it on first use.
build() {
  dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
  ninja -C "$dir"
}

build build

# The main job: the window on a simulated live scan, or the same scan headless when there
# is no display.
if [ "$mode" = run ]; then
  exec ./build/src/cli/ptycholive
fi

status=0
# The gui suite runs its windows on Xvfb with Mesa's software GL (tests/gui/run-with-display.sh).
meson test -C build --print-errorlogs --suite unit --suite integration --suite cuda --suite gui \
  || status=$?

# The sanitizer build runs the CPU code paths only: ASan and the CUDA driver's address
# reservations do not mix.
build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dcuda=disabled
meson test -C build-asan --print-errorlogs --suite unit --suite integration || status=$?

# The decoders under libFuzzer (clang), a short smoke run each from an empty corpus.
CC=clang build build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
  -Dcuda=disabled
meson test -C build-fuzz --print-errorlogs --suite fuzz || status=$?

python3 tools/test-summary.py build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
  build-fuzz/meson-logs/testlog.json
exit $status
