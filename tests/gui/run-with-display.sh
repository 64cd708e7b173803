#!/bin/sh
# Runs a GUI test on a virtual X display (Xvfb, Mesa's software GL) inside its own
# session bus, as GTK's own CI does. Without xvfb-run the test runs as it is and skips
# (exit 77) when it finds no display.
# PTL_TEST_WRAPPER, when set (the `valgrind` test setup), runs the test under it.
set -eu
if [ -n "${PTL_TEST_WRAPPER:-}" ]; then
  # shellcheck disable=SC2086 # the wrapper is a command line: split it into words
  set -- $PTL_TEST_WRAPPER "$@"
fi
if command -v xvfb-run >/dev/null 2>&1; then
  if command -v dbus-run-session >/dev/null 2>&1; then
    exec xvfb-run -a -s "-screen 0 1280x800x24 -noreset" dbus-run-session -- "$@"
  fi
  exec xvfb-run -a -s "-screen 0 1280x800x24 -noreset" "$@"
fi
exec "$@"
