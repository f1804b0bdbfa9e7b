#!/usr/bin/env bash
# Builds the `authdeck` command of the previous release from git history, for
# the upgrade tests (tests/upgrade.rs): records that release wrote with its own
# code (the keyring crate, one sign-in per service) must keep working, and it
# must still read what this release writes. Prints the binary's path.
#
# The previous release is the last one before several accounts per service
# (stop 15, CI passed). Its sources go to target/previous-release/src, once;
# its build has a target dir of its own so it never overwrites today's binary.
set -euo pipefail
cd "$(dirname "$0")/.."

commit=4cb239e
dir=target/previous-release
if ! git rev-parse --verify --quiet "$commit^{commit}" >/dev/null; then
  echo "The previous release ($commit) is not in this clone's git history, so the upgrade tests cannot build it. Fetch the full history (git fetch --unshallow) and run again." >&2
  exit 1
fi
if [ "$(cat "$dir/src/.commit" 2>/dev/null || true)" != "$commit" ]; then
  rm -rf "$dir/src"
  mkdir -p "$dir/src"
  git archive "$commit" | tar -x -C "$dir/src"
  echo "$commit" >"$dir/src/.commit"
fi
# Only the CLI and its engine: the old window is not needed.
cargo build --quiet -p authdeck --manifest-path "$dir/src/Cargo.toml" --target-dir "$dir/target" >&2
echo "$PWD/$dir/target/debug/authdeck"
