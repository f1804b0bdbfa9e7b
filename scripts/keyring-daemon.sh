#!/usr/bin/env bash
# Started by the private bus of scripts/private-bus.sh when nothing owns the
# Secret Service name (the first daemon died): a gnome-keyring on this run's own
# files, unlocked with this run's password, never on the developer's.
set -euo pipefail
bus_dir="${1:?usage: keyring-daemon.sh BUS_DIR}"
# Written by scripts/session.sh: XDG_DATA_HOME and XDG_RUNTIME_DIR of this run.
if [ ! -f "$bus_dir/keyring.env" ]; then
  echo "keyring-daemon.sh: no keyring.env yet; refusing to start on the real keyring" >&2
  exit 1
fi
# shellcheck source=/dev/null
. "$bus_dir/keyring.env"
echo "keyring-daemon.sh: restarting gnome-keyring for this run" >&2
printf '%s' authdeck-test | exec gnome-keyring-daemon --unlock --components=secrets --foreground
