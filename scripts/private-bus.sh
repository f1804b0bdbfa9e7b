#!/usr/bin/env bash
# Runs the command given as arguments on a private D-Bus session bus of its own
# (dbus-run-session), configured so that a gnome-keyring that dies mid-run is
# brought back unlocked, on this run's files, instead of locked on the
# developer's. scripts/session.sh, run inside, starts the first daemon and
# writes where this run's files are.
#
# Why: gnome-keyring 42 has been seen to abort inside glib in the middle of a
# test run (a `trap int3` in libglib). The bus then activated the system's
# service file, a daemon with a locked collection, and every later keyring test
# failed as "locked". This bus lists its own service file first, which starts
# scripts/keyring-daemon.sh instead.
set -euo pipefail
cd "$(dirname "$0")/.."

bus_dir="$(mktemp -d "${TMPDIR:-/tmp}/authdeck-bus.XXXXXX")"
trap 'rm -rf "$bus_dir"' EXIT
mkdir -p "$bus_dir/services"
export AUTHDECK_BUS_DIR="$bus_dir"

cat >"$bus_dir/services/org.freedesktop.secrets.service" <<EOF
[D-BUS Service]
Name=org.freedesktop.secrets
Exec=/bin/bash $PWD/scripts/keyring-daemon.sh $bus_dir
EOF

# The system's session.conf, with this run's service directory listed before
# the standard ones: for a name in both, the first directory wins.
cat >"$bus_dir/session.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$bus_dir/services</servicedir>
  <standard_session_servicedirs />
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="service_start_timeout">120000</limit>
  <limit name="max_completed_connections">100000</limit>
  <limit name="max_incomplete_connections">10000</limit>
  <limit name="max_connections_per_user">100000</limit>
  <limit name="max_match_rules_per_connection">50000</limit>
  <limit name="max_replies_per_connection">50000</limit>
</busconfig>
EOF

# Not exec: the trap above removes the bus directory afterwards.
dbus-run-session --config-file="$bus_dir/session.conf" -- "$@"
