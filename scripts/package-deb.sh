#!/usr/bin/env bash
# Builds the Debian package: target/release/bundle/deb/Interlog_<version>_amd64.deb (under
# $CARGO_TARGET_DIR if set). Install it with `sudo apt install ./Interlog_*.deb`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
target_dir=$(scripts/target-dir.sh)
(cd ui && npm run --silent build)
# The UI is built above: the configured beforeBuildCommand would run from whichever folder the
# Tauri CLI takes for the frontend, which in this layout is not ui/.
ui/node_modules/.bin/tauri build --bundles deb --config '{"build":{"beforeBuildCommand":null}}' >&2
ls "$target_dir"/release/bundle/deb/*.deb
