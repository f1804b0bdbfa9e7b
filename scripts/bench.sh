#!/usr/bin/env bash
# The benchmark (not part of the test suite's pass/fail): builds the release app
# and a Tauri 2 hello-world baseline in the same run, then measures, each figure
# the median of repeated runs with both sides of every ratio interleaved:
#   1. cold start to the dashboard painted under Xvfb, against the baseline;
#   2. memory of the whole process tree (sum of PSS) 5 s after start, against it;
#   3. the size of the stripped release binary;
#   4. a full PKCE `authdeck connect` against google-auth-oauthlib's
#      InstalledAppFlow, same loopback fake provider, same scripted browser;
#   5. `authdeck status --json` with six connected services in a real Secret Service;
#   6. the token() hot path, and 100 concurrent callers on an expired token.
# Writes target/bench/results.json and target/bench/table.md and prints the table.
# Nothing leaves the machine: every server is on 127.0.0.1.
#
# Installs what it needs, only when missing: Debian packages (apt-get), and a
# Python venv under target/bench-venv with google-auth-oauthlib from PyPI.
# Run counts: BENCH_WINDOW_RUNS (7), BENCH_CONNECT_RUNS (15), BENCH_STATUS_RUNS (30).
set -euo pipefail
cd "$(dirname "$0")/.."

export CI="${CI:-}"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

bench_start=$(date +%s)
phase_name=""
phase_start=0
start_phase() {
  phase_name="$1"
  phase_start=$(date +%s)
  echo "==> $phase_name" >&2
}
end_phase() {
  echo "<== $phase_name: $(($(date +%s) - phase_start)) s" >&2
  phase_name=""
}
on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ -n "$phase_name" ]; then
    echo "FAILED in phase '$phase_name' after $(($(date +%s) - phase_start)) s (exit $rc)" >&2
  fi
  echo "bench total: $(($(date +%s) - bench_start)) s" >&2
}
trap on_exit EXIT

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install the Rust toolchain first (https://rustup.rs), then run this again." >&2
  exit 1
fi

# ----- Debian packages -----------------------------------------------------------
start_phase "install dependencies"
# What the tests need (scripts/install-deps.sh), plus Python for the
# InstalledAppFlow side.
extra=()
if ! command -v python3 >/dev/null 2>&1; then
  extra+=(python3)
fi
# Debian's python3 makes venvs only with python3-venv (ensurepip).
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  extra+=(python3-venv)
fi
bash scripts/install-deps.sh "${extra[@]}"

# google-auth-oauthlib from PyPI, in a venv of the bench's own.
venv=target/bench-venv
if ! "$venv/bin/python" -c 'import google_auth_oauthlib.flow' >/dev/null 2>&1; then
  echo "creating $venv with google-auth-oauthlib" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check 'google-auth-oauthlib>=1,<2'
fi
# Bytecode caches, as any installed Python program has them (this machine sets
# PYTHONDONTWRITEBYTECODE, which would otherwise make every run compile its imports).
"$venv/bin/python" -m compileall -q "$venv/lib" >/dev/null 2>&1 || true
oauthlib_version="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("google-auth-oauthlib"))')"
echo "google-auth-oauthlib $oauthlib_version" >&2
end_phase

# ----- builds ----------------------------------------------------------------------
start_phase "cargo build --release (the authdeck-app window with custom-protocol, and the authdeck CLI)"
cargo build --release -p authdeck-app --features custom-protocol
cargo build --release -p authdeck
end_phase

start_phase "cargo build --release (scripted-browser, fake-provider, bench-token: tests/support)"
# The test-support crate's programs, into target/release/ beside the app.
cargo build --release -p authdeck-test-support \
  --bin scripted-browser --bin fake-provider --bin bench-token
end_phase

start_phase "cargo build --release (Tauri 2 hello-world baseline)"
# Same versions as Authdeck's lock where the two share crates, so both are built
# from the same sources and the shared ones are compiled once (same target dir).
if [ ! -f scripts/bench/hello/Cargo.lock ]; then
  cp Cargo.lock scripts/bench/hello/Cargo.lock
fi
cargo build --release --features custom-protocol \
  --manifest-path scripts/bench/hello/Cargo.toml --target-dir target
end_phase

start_phase "cargo build --release (bench runner)"
cargo build --release --manifest-path scripts/bench/runner/Cargo.toml \
  --target-dir target/bench/runner-target
end_phase

# ----- measure ---------------------------------------------------------------------
start_phase "measure (private D-Bus + gnome-keyring + Xvfb)"
out=target/bench
mkdir -p "$out"
rm -f "$out"/*.ppm "$out"/*.png
# The runner keeps its frames and logs in the session's scratch dir.
bash scripts/private-bus.sh bash scripts/session.sh \
  bash -c 'exec "$@" --scratch "$AUTHDECK_SESSION_SCRATCH"' runner \
  target/bench/runner-target/release/authdeck-bench \
  --app "$PWD/target/release/authdeck-app" \
  --cli "$PWD/target/release/authdeck" \
  --baseline "$PWD/target/release/authdeck-bench-hello" \
  --browser "$PWD/target/release/scripted-browser" \
  --browser-launcher "$PWD/scripts/bench/browser.sh" \
  --fake "$PWD/target/release/fake-provider" \
  --bench-token "$PWD/target/release/bench-token" \
  --python "$PWD/$venv/bin/python" \
  --flow-driver "$PWD/scripts/bench/installed_app_flow.py" \
  --out "$PWD/$out" \
  --date "$(date -u +%F)" \
  --window-runs "${BENCH_WINDOW_RUNS:-7}" \
  --connect-runs "${BENCH_CONNECT_RUNS:-15}" \
  --status-runs "${BENCH_STATUS_RUNS:-30}" \
  </dev/null
end_phase

# The final frame of the first launch of each app, to look at.
if convert -version 2>/dev/null | grep -q ImageMagick; then
  for ppm in "$out"/*.ppm; do
    [ -e "$ppm" ] && convert "$ppm" "${ppm%.ppm}.png" && rm -f "$ppm"
  done
fi
echo "results: $out/results.json, table: $out/table.md" >&2
