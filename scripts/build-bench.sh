#!/usr/bin/env bash
# Builds what scripts/bench.sh and scripts/startup.sh run, in release: the app (skipped with
# --smoke when the package step has already built it) and every benchmark program, in one cargo
# invocation so the dependencies they share are built once, with one set of features, and
# whichever script runs second builds nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(scripts/target-dir.sh)/release/interlog"
if [ "${1:-}" != "--smoke" ] || [ ! -x "$bin" ]; then
  cargo build --release --features custom-protocol
fi
cargo build --release -p interlog-store -p interlog-server -p interlog-startup --bins --examples
