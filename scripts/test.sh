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

start_phase "cargo fmt --check"
cargo fmt --check
end_phase

start_phase "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings
end_phase

# The app binary the CLI and window tests launch, and the scripted browser
# (an example) they point BROWSER at. `cargo test --all-targets` builds examples
# only as test harnesses, so the browser binary must be built here.
start_phase "cargo build --bins --examples"
cargo build --bins --examples
end_phase

start_phase "cargo test (private D-Bus + gnome-keyring + Xvfb)"
if [ "$#" -gt 0 ]; then
  # A developer's own selection, e.g. `--test window -- stored_token`.
  bash scripts/private-bus.sh bash scripts/session.sh cargo test "$@" </dev/null
else
  # Two threads: on 2 cores each window test runs an app plus WebKit; more only slows them.
  bash scripts/private-bus.sh bash scripts/session.sh cargo test --all-targets -- --test-threads=2 </dev/null
fi
end_phase
