#!/usr/bin/env bash
# Runs the command given as arguments (the test suite, the bench) against real
# parts that belong to this run only: an unlocked gnome-keyring on the private
# session bus that the caller started (scripts/private-bus.sh), and an Xvfb
# display. Nothing touches the developer's own keyring, config, caches or screen.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  echo "No session bus: run this through scripts/test.sh or scripts/bench.sh (they wrap it in scripts/private-bus.sh)." >&2
  exit 1
fi
if [ "$#" -eq 0 ]; then
  echo "usage: bash scripts/private-bus.sh bash scripts/session.sh COMMAND [ARGS...]" >&2
  exit 2
fi

scratch="$(mktemp -d "${TMPDIR:-/tmp}/authdeck-test.XXXXXX")"
xvfb_pid=""

cleanup() {
  local rc=$?
  if [ -n "$xvfb_pid" ] && kill -0 "$xvfb_pid" 2>/dev/null; then
    kill -TERM "$xvfb_pid" 2>/dev/null || true
    wait "$xvfb_pid" 2>/dev/null || true
  fi
  # A WebKit process of the last window test may still be writing its shader
  # cache for a moment: retry, and never let cleanup turn a result into a failure.
  for _ in 1 2 3 4 5; do
    rm -rf "$scratch" 2>/dev/null && break
    sleep 0.5
  done
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Before gnome-keyring starts: it keeps its keyring files under XDG_DATA_HOME
# and its control socket under XDG_RUNTIME_DIR, and must not meet the real ones.
mkdir -p "$scratch/data" "$scratch/cache" "$scratch/config" "$scratch/runtime"
chmod 700 "$scratch/runtime"
export XDG_DATA_HOME="$scratch/data"
export XDG_CACHE_HOME="$scratch/cache"
export XDG_CONFIG_HOME="$scratch/config"
export XDG_RUNTIME_DIR="$scratch/runtime"

# If this daemon dies mid-run, the bus of scripts/private-bus.sh starts
# scripts/keyring-daemon.sh, which needs this run's places.
if [ -n "${AUTHDECK_BUS_DIR:-}" ]; then
  printf 'export XDG_DATA_HOME=%q XDG_CACHE_HOME=%q XDG_CONFIG_HOME=%q XDG_RUNTIME_DIR=%q\n' \
    "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR" >"$AUTHDECK_BUS_DIR/keyring.env"
fi

# An unlocked default ("login") collection; the daemon dies with the bus.
eval "$(printf '%s' authdeck-test | gnome-keyring-daemon --unlock --components=secrets --daemonize)"
# --daemonize returns before the daemon owns org.freedesktop.secrets. Wait for the
# name with NameHasOwner, which does not trigger D-Bus activation: a Secret
# Service call this early made the bus start another daemon from its .service file.
keyring_ready=0
for _ in $(seq 1 100); do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; then
    keyring_ready=1
    break
  fi
  sleep 0.1
done
if [ "$keyring_ready" -ne 1 ]; then
  echo "gnome-keyring did not take the Secret Service name on the private bus within 10 s." >&2
  exit 1
fi

# Xvfb writes its display number to fd 5 once it accepts connections.
Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp 5>"$scratch/display" 2>"$scratch/xvfb.log" &
xvfb_pid=$!
for _ in $(seq 1 100); do
  if [ -s "$scratch/display" ] && [ "$(tail -c1 "$scratch/display" | od -An -c | tr -d ' ')" = '\n' ]; then
    break
  fi
  if ! kill -0 "$xvfb_pid" 2>/dev/null; then
    echo "Xvfb did not start:" >&2
    cat "$scratch/xvfb.log" >&2
    exit 1
  fi
  sleep 0.1
done
display_number="$(tr -d '[:space:]' <"$scratch/display")"
if [ -z "$display_number" ]; then
  echo "Xvfb gave no display number within 10 s:" >&2
  cat "$scratch/xvfb.log" >&2
  exit 1
fi
export DISPLAY=":$display_number"
unset WAYLAND_DISPLAY

export NO_AT_BRIDGE=1
export NO_PROXY=127.0.0.1,localhost
export no_proxy=127.0.0.1,localhost
export AUTHDECK_TEST_SESSION=1

# Where the command may keep files for this run (removed afterwards).
export AUTHDECK_SESSION_SCRATCH="$scratch"

echo "session: DISPLAY=$DISPLAY, keyring on $DBUS_SESSION_BUS_ADDRESS, scratch $scratch" >&2
"$@"
