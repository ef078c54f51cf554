#!/usr/bin/env bash
# Prints where cargo puts build output: target/, or $CARGO_TARGET_DIR (CI caches builds outside
# the clone), as cargo itself resolves it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --no-deps |
  node -e 'let s = ""; process.stdin.on("data", d => (s += d)).on("end", () => console.log(JSON.parse(s).target_directory))'
