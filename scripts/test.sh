#!/usr/bin/env bash
# Every check and every test: formatting, lints, the UI's type check, Rust unit, scenario,
# store and protocol tests, the JavaScript suite on the official FDC3 client against the real
# agent, the end-to-end tests of the real windows under Xvfb, the FDC3 conformance framework
# run inside Interlog, the Debian package, and a smoke run of every benchmark (start-up too).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
target_dir=$(scripts/target-dir.sh)

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
(cd tests/e2e && INTERLOG_BIN="$target_dir/debug/interlog" xvfb-run -a -s "-screen 0 1600x1000x24" node driver-retry.mjs npm test --silent)

step "Package: the .deb builds, apt could install it, and the packaged binary logs an interaction"
deb=$(scripts/package-deb.sh | tail -n 1)
tests/package/deb-smoke.sh "$deb"

step "Benchmarks, a smoke run of each: they run and lose nothing (no timing is asserted)"
scripts/bench.sh --smoke

step "Start-up and memory beside a bare Tauri app, a smoke run (no timing is asserted)"
scripts/startup.sh --smoke

# On the release build the package step made: the binary users run, and the official tests'
# one-second waits are not spent on unoptimised code.
step "FDC3 conformance: the official framework's \"All\" pack inside Interlog"
(cd tests/e2e && INTERLOG_BIN="$target_dir/release/interlog" xvfb-run -a -s "-screen 0 1600x1000x24" node conformance.mjs)

echo
echo "All checks passed."
