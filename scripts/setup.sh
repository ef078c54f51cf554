#!/usr/bin/env bash
# Installs what Interlog needs on a Debian/Ubuntu machine that has only the Rust toolchain, Node
# and apt. Idempotent: skips what is already there.
#   scripts/setup.sh          build and run dependencies
#   scripts/setup.sh --test   also what the tests need (Xvfb, WebKitWebDriver, tauri-driver)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

packages=(libwebkit2gtk-4.1-dev build-essential pkg-config libssl-dev)
[ "$want_test" = 1 ] && packages+=(xvfb xauth webkit2gtk-driver sqlite3 x11-utils)

missing=()
for p in "${packages[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm ci only when the lock file changed since the last install.
npm_install() {
  local dir=$1
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "setup: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
npm_install ui
npm_install tests/js
if [ "$want_test" = 1 ]; then
  npm_install tests/e2e
  if ! command -v tauri-driver >/dev/null 2>&1; then
    echo "setup: cargo install tauri-driver"
    cargo install tauri-driver --locked --version '^2' --quiet
  fi
fi
