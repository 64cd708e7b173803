#!/bin/sh
# The programs as a user runs them: exit codes and messages, including every error path.
# Usage: test-cli.sh PTYCHOLIVE PTYCHOLIVE_BENCH   (TAP output)
set -u
app=$1
bench=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

# expect NAME STATUS PATTERN COMMAND...: COMMAND exits with STATUS and its output matches PATTERN.
expect() {
  name=$1 status=$2 pattern=$3
  shift 3
  n=$((n + 1))
  "$@" >"$tmp/out" 2>&1
  got=$?
  if [ "$got" -eq "$status" ] && grep -Eq -- "$pattern" "$tmp/out"; then
    echo "ok $n $name"
  else
    echo "not ok $n $name (exit $got, wanted $status, pattern '$pattern')"
    sed 's/^/# /' "$tmp/out"
    failed=$((failed + 1))
  fi
}

small="--headless --simulate --frames 40 --frame-size 64 --iterations 15 --report-every 5"

expect "version" 0 "^ptycholive [0-9]+\.[0-9]+\.[0-9]+" "$app" --version
expect "version names the backend" 0 "backend in use: CPU" "$app" --version
expect "help" 0 "--simulate" "$app" --help
expect "help-all lists the simulation options" 0 "--probe-diameter" "$app" --help-all
expect "unknown option" 2 "Unknown option" "$app" --headless --frobnicate
expect "malformed number" 2 "Cannot parse" "$app" $small --iterations many
expect "unknown algorithm" 2 "Unknown algorithm .dm9." "$app" $small --algorithm dm9
expect "unknown scan pattern" 2 "spiral2" "$app" $small --pattern spiral2
expect "unknown probe model" 2 "laser" "$app" $small --probe laser
expect "unknown backend" 2 "Unknown backend" "$app" $small --backend opencl
expect "zero photons" 2 "[Pp]hoton" "$app" $small --photons 0
expect "overlap 0" 2 "[Oo]verlap" "$app" $small --overlap 0
expect "odd frame size" 2 "[Ff]rame size" "$app" $small --frame-size 63
expect "frame larger than object" 2 "larger than the 48×48 object" "$app" $small --object-size 48
expect "an input without --headless runs headless" 0 "object NRMSE 0\.[0-9]+" \
  env -u DISPLAY -u WAYLAND_DISPLAY "$app" --simulate --frames 40 --frame-size 64 --iterations 15
expect "--receive-only needs --connect" 2 "--receive-only needs --connect" \
  "$app" --headless --simulate --receive-only
expect "no input" 2 "--simulate" "$app" --headless
expect "unwritable output" 1 "Cannot write $tmp/missing/r.cxi" "$app" $small -o "$tmp/missing/r.cxi"
expect "output is a directory" 1 "is a directory" "$app" $small -o "$tmp"

expect "simulate and reconstruct" 0 "object NRMSE 0\.[0-9]+" "$app" $small --seed 5 -o "$tmp/r.cxi"
n=$((n + 1))
if grep -q "^iteration 15/15" "$tmp/out" && [ -s "$tmp/r.cxi" ]; then
  echo "ok $n progress lines and result file"
else
  echo "not ok $n progress lines and result file"
  failed=$((failed + 1))
fi
n=$((n + 1))
nrmse=$(sed -n 's/.*object NRMSE \([0-9.]*\).*/\1/p' "$tmp/out")
if awk -v e="$nrmse" 'BEGIN { exit !(e != "" && e < 0.3) }'; then
  echo "ok $n reconstruction converges (NRMSE $nrmse)"
else
  echo "not ok $n reconstruction converges (NRMSE '$nrmse')"
  failed=$((failed + 1))
fi
if command -v h5dump >/dev/null 2>&1; then
  expect "result readable by h5dump" 0 "image_2" h5dump -H "$tmp/r.cxi"
fi

expect "bench usage" 2 "Usage" "$bench"
expect "bench unknown mode" 2 "unknown mode" "$bench" frobnicate
expect "bench recon" 0 '"metric": "us_per_frame_iteration".*"baseline_value": [0-9.e+-]+, "ratio"' \
  "$bench" recon --backend cpu --threads 1 --engines rpie,epie --frames 20 --size 64 \
  --iterations 3
n=$((n + 1))
# The memory bandwidth and the three floors computed from it, then two rows per engine.
if [ "$(grep -c '^{"bench": "recon"' "$tmp/out")" -eq 8 ]; then
  echo "ok $n bench prints one JSON line per result"
else
  echo "not ok $n bench prints one JSON line per result"
  failed=$((failed + 1))
fi

n=$((n + 1))
if python3 -c 'import json, sys
for line in sys.stdin:
    row = json.loads(line)
    assert {"bench", "case", "metric", "value", "unit", "backend", "threads", "machine"} <= row.keys()' <"$tmp/out"; then
  echo "ok $n bench lines are valid JSON with the required keys"
else
  echo "not ok $n bench lines are valid JSON with the required keys"
  failed=$((failed + 1))
fi

expect "bench stream over TCP loses nothing" 0 \
  '"case": "DECTRIS Stream V2 over TCP loopback: 40 images.*received 40, lost 0".*"metric": "frames_lost", "value": 0,' \
  "$bench" stream --seconds 0.02 --images 40
expect "bench stream bounds --images" 2 "--images" "$bench" stream --images 0

echo "1..$n"
[ "$failed" -eq 0 ]
