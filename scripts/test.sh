#!/usr/bin/env bash
# Every check and every test: formatting, lints, the UI's type check, Rust unit, scenario,
# store and protocol tests, the JavaScript suite on the official FDC3 client against the real
# agent, and the end-to-end test of the real window under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
# Where cargo puts binaries: target/, or $CARGO_TARGET_DIR (CI caches builds outside the clone).
target_dir=$(cargo metadata --format-version 1 --no-deps |
  node -e 'let s = ""; process.stdin.on("data", d => (s += d)).on("end", () => console.log(JSON.parse(s).target_directory))')

step() { printf '\n==> %s\n' "$*"; }

step "UI: type check and build"
(cd ui && npm run --silent typecheck && npm run --silent build)

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --features custom-protocol -- -D warnings

step "cargo test (core scenarios, store, protocol over a real socket)"
cargo test --workspace --features custom-protocol

step "JavaScript suite: the official @finos/fdc3-agent-proxy against the headless agent"
(cd tests/js && INTERLOG_AGENT_CMD="$target_dir/debug/interlog --headless" npm test --silent)

step "End to end: the real window under Xvfb, driven by tauri-driver"
(cd tests/e2e && INTERLOG_BIN="$target_dir/debug/interlog" xvfb-run -a -s "-screen 0 1600x1000x24" npm test --silent)

echo
echo "All checks passed."
