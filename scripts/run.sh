#!/usr/bin/env bash
# Builds Authdeck and starts it. With arguments, runs the CLI instead of the
# window: `bash scripts/run.sh status`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

# The window needs a display; the CLI does not.
if [ "$#" -eq 0 ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No display found: Authdeck is a desktop app. Run it inside a desktop session, or headless with: xvfb-run -a bash scripts/run.sh" >&2
  exit 1
fi

cargo build --workspace --bins
exec target/debug/authdeck "$@"
