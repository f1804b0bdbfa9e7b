#!/usr/bin/env bash
# Installs what Authdeck needs to build, run and test, and only what is missing:
# the Debian packages (build, Xvfb window tests, Secret Service keyring tests),
# the rustfmt/clippy components, and tauri-driver. Safe to run again: when
# everything is present it says so and does nothing. Extra Debian package names
# given as arguments are installed the same way (scripts/bench.sh adds Python).
set -euo pipefail

# Build: WebKitGTK 4.1 pulls GTK 3 and libsoup 3. Window tests: Xvfb, xdpyinfo,
# ImageMagick, WebKitWebDriver. Keyring tests: a session bus, gnome-keyring,
# secret-tool, dbus-monitor (dbus-bin) to count a process's keyring sessions.
# gdbus (libglib2.0-bin): a notification client that is not the notification
# server's own D-Bus code (tests/notification_server_selftest.rs). procps:
# pgrep/ps for the scripts. Package test (tests/package.rs):
# desktop-file-validate, appstreamcli, and rpm to read the .rpm (Tauri's bundler
# writes both packages itself and needs none of them).
packages=(
  build-essential pkg-config libwebkit2gtk-4.1-dev libssl-dev libdbus-1-dev
  xvfb x11-utils imagemagick webkit2gtk-driver
  dbus dbus-bin gnome-keyring libsecret-tools libglib2.0-bin procps
  desktop-file-utils appstream rpm
  "$@"
)

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install the Rust toolchain first (https://rustup.rs), then run this again." >&2
  exit 1
fi

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  cat >&2 <<'MSG'
This script installs packages on Debian or Ubuntu only. On this system, install by hand:
  a C toolchain and pkg-config; WebKitGTK 4.1, OpenSSL and D-Bus development files;
  Xvfb, xdpyinfo, ImageMagick and WebKitWebDriver (for the window tests);
  a D-Bus session daemon, gnome-keyring and secret-tool (libsecret) (for the keyring tests);
  gdbus (GLib) (for the notification server test);
  desktop-file-validate, appstreamcli and rpm (for the package test);
  then: cargo install tauri-driver --version '^2' --locked
MSG
  exit 1
fi

# Run privileged commands directly as root, through sudo otherwise. -n: never
# wait for a password prompt that nobody (CI) will answer.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    echo "Need root to install Debian packages, and sudo is not available: run this script as root." >&2
    exit 1
  fi
}

# Prints the command's output only when it fails, so a normal run stays one line per install.
quietly() {
  local log
  log="$(mktemp)"
  if "$@" >"$log" 2>&1; then
    rm -f "$log"
  else
    local rc=$?
    cat "$log" >&2
    rm -f "$log"
    echo "failed ($rc): $*" >&2
    exit "$rc"
  fi
}

missing=()
for pkg in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  if [ "$status" != "installed" ]; then
    missing+=("$pkg")
  fi
done

installed_something=0
if [ "${#missing[@]}" -gt 0 ]; then
  for pkg in "${missing[@]}"; do
    echo "installing Debian package $pkg"
  done
  quietly as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  quietly as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  installed_something=1
fi

# A minimal rustup profile has no rustfmt or clippy; scripts/test.sh needs both.
for component in rustfmt clippy; do
  subcommand="${component/rustfmt/fmt}"
  if ! cargo "$subcommand" --version >/dev/null 2>&1; then
    if command -v rustup >/dev/null 2>&1; then
      echo "installing Rust component $component (rustup component add $component)"
      quietly rustup component add "$component"
      installed_something=1
    else
      echo "cargo $subcommand is missing and rustup is not available: install the $component component by hand." >&2
      exit 1
    fi
  fi
done

# cargo install puts tauri-driver in $CARGO_HOME/bin, which may not be on PATH yet.
# tauri-driver 2 has no --version flag (it exits 1 on it); --help works.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if ! tauri-driver --help >/dev/null 2>&1; then
  echo "installing tauri-driver (cargo install tauri-driver --version '^2' --locked)"
  quietly cargo install tauri-driver --version '^2' --locked
  installed_something=1
fi

if [ "$installed_something" -eq 0 ]; then
  echo "All dependencies are already installed."
fi
