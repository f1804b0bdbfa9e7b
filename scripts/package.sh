#!/usr/bin/env bash
# Builds the installable packages, a .deb and an .rpm, with Tauri's own bundler
# (the Tauri 2 CLI, `cargo tauri`; installed here when missing). Neither target
# downloads anything at build time. What goes in the packages is configured in
# tauri.conf.json > bundle (names, descriptions, icons, dependencies) and
# src-tauri/packaging/ (AppStream metainfo). Prints where the packages are and
# their sizes; fails when one is over 8 MB. tests/package.rs installs the .deb.
#
# `AUTHDECK_PRESETS=FILE bash scripts/package.sh` passes the variable through to
# the build, which bakes that file's client IDs into the binary.
#
# bundle.active stays false in tauri.conf.json: `--bundles` below turns bundling
# on for this path only, so `cargo build` and `cargo tauri build` alone are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# 8 MB, decimal: the stricter reading of "Package ≤ 8 MB".
max_bytes=8000000
bundle_dir="${CARGO_TARGET_DIR:-target}/release/bundle"

start=$(date +%s)

# The Tauri 2 CLI. `cargo tauri --version` prints "tauri-cli 2.x.y"; a 1.x CLI
# cannot build this app, so it is replaced. ~15 min on 2 cores the first time.
tauri_cli_version="$(cargo tauri --version 2>/dev/null || true)"
case "$tauri_cli_version" in
  "tauri-cli 2."*) ;;
  *)
    if [ -n "$tauri_cli_version" ]; then
      echo "found $tauri_cli_version; this app needs the Tauri 2 CLI" >&2
    fi
    echo "installing the Tauri CLI (cargo install tauri-cli --version '^2' --locked; ~15 min on 2 cores)"
    cargo install tauri-cli --version '^2' --locked --force
    tauri_cli_version="$(cargo tauri --version)"
    ;;
esac
echo "using $tauri_cli_version"

if [ -n "${AUTHDECK_PRESETS:-}" ]; then
  echo "baking presets from AUTHDECK_PRESETS=$AUTHDECK_PRESETS"
fi

# Old packages (another version's file names) must not be mistaken for this build's.
rm -f "$bundle_dir"/deb/*.deb "$bundle_dir"/rpm/*.rpm

# A release build (LTO, a few minutes on 2 cores), then both packages. The CLI
# turns on tauri/custom-protocol itself, so the UI is embedded, not a dev server.
# --ci: no prompts and no spinner (an empty CI variable, as scripts/test.sh
# exports it, is not enough for the CLI).
# The command-line tool first: the packages ship it as /usr/bin/authdeck
# (tauri.conf.json > bundle > linux > files), beside the window app.
cargo build --release -p authdeck
cargo tauri build --ci --bundles deb,rpm

shopt -s nullglob
debs=("$bundle_dir"/deb/*.deb)
rpms=("$bundle_dir"/rpm/*.rpm)
shopt -u nullglob
if [ "${#debs[@]}" -ne 1 ] || [ "${#rpms[@]}" -ne 1 ]; then
  echo "expected one .deb and one .rpm under $bundle_dir, found: ${debs[*]:-no .deb} ${rpms[*]:-no .rpm}" >&2
  exit 1
fi

too_big=0
echo "packages:"
for package in "${debs[0]}" "${rpms[0]}"; do
  bytes=$(stat -c %s "$package")
  printf '  %s  %d bytes (%d.%02d MiB)\n' "$package" "$bytes" \
    $((bytes / 1048576)) $((bytes % 1048576 * 100 / 1048576))
  if [ "$bytes" -gt "$max_bytes" ]; then
    echo "  ^ over the 8 MB limit ($max_bytes bytes)" >&2
    too_big=1
  fi
done
echo "package.sh took $(($(date +%s) - start)) s"
if [ "$too_big" -ne 0 ]; then
  exit 1
fi
