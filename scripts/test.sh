#!/usr/bin/env bash
# The whole suite, as CI runs it: dependencies, format, lints, build, then every
# test inside a private D-Bus session with its own gnome-keyring and X server
# (scripts/session.sh). Arguments replace the default
# `cargo test --all-targets -- --test-threads=2`, e.g.
# `bash scripts/test.sh --test window -- --nocapture`.
set -euo pipefail
cd "$(dirname "$0")/.."

export CI="${CI:-}"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

suite_start=$(date +%s)
phase_name=""
phase_start=0

start_phase() {
  phase_name="$1"
  phase_start=$(date +%s)
  echo "==> $phase_name"
}

end_phase() {
  echo "<== $phase_name: $(($(date +%s) - phase_start)) s"
  phase_name=""
}

on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ -n "$phase_name" ]; then
    echo "FAILED in phase '$phase_name' after $(($(date +%s) - phase_start)) s (exit $rc)" >&2
  fi
  echo "total: $(($(date +%s) - suite_start)) s"
}
trap on_exit EXIT

start_phase "install dependencies"
bash scripts/install-deps.sh
end_phase

start_phase "cargo fmt --all --check"
cargo fmt --all --check
end_phase

start_phase "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
end_phase

# Every program the tests run as a process: the window app, the `authdeck` CLI
# (src-tauri/cli) and the test-support programs (tests/support: the scripted
# browser they point BROWSER at, fake-provider, bench-token,
# notification-server), all into target/debug/. `cargo test` builds only the
# app package's own binaries for its tests, so the others must be built here.
start_phase "cargo build --workspace --bins"
cargo build --workspace --bins
end_phase

# The .deb and .rpm (a release build, then Tauri's bundler), which
# tests/package.rs installs and removes. A developer's own selection skips it
# unless it names the package test (`bash scripts/test.sh --test package`).
run_package_phase=1
if [ "$#" -gt 0 ]; then
  run_package_phase=0
  for arg in "$@"; do
    case "$arg" in *package*) run_package_phase=1 ;; esac
  done
fi
if [ "$run_package_phase" -eq 1 ]; then
  # Built with test presets baked in, as a distribution would: tests/package.rs
  # checks the installed Google card is ready with no file in /etc.
  start_phase "package (scripts/package.sh: .deb + .rpm)"
  AUTHDECK_PRESETS="$PWD/tests/fixtures/presets.toml" bash scripts/package.sh </dev/null
  end_phase
fi

# The previous release's `authdeck`, built from git history, for the upgrade
# tests (tests/upgrade.rs). Built once; later runs only check it.
start_phase "previous release (scripts/previous-release.sh)"
AUTHDECK_PREVIOUS_RELEASE_CLI="$(bash scripts/previous-release.sh </dev/null)"
export AUTHDECK_PREVIOUS_RELEASE_CLI
end_phase

start_phase "cargo test (private D-Bus + gnome-keyring + Xvfb)"
if [ "$#" -gt 0 ]; then
  # A developer's own selection, e.g. `--test window -- stored_token`.
  bash scripts/private-bus.sh bash scripts/session.sh cargo test "$@" </dev/null
else
  # Two threads: on 2 cores each window test runs an app plus WebKit; more only slows them.
  bash scripts/private-bus.sh bash scripts/session.sh cargo test --workspace --all-targets -- --test-threads=2 </dev/null
fi
end_phase
