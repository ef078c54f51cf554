#!/usr/bin/env bash
# Checks a built Interlog .deb without touching the system: its control fields, that apt can
# install it here (a simulation: dependencies resolve), and that the packaged binary, unpacked
# into a temporary folder, runs: it starts headless, logs the FDC3 example through its own
# `raise` command and finds it again with `history`; and opened as from the desktop menu, its
# launcher and settings windows work (the first-run end-to-end test on the packaged binary).
#   tests/package/deb-smoke.sh path/to/Interlog_<version>_amd64.deb
set -euo pipefail
deb=$(realpath "$1")
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
agent=
cleanup() {
  [ -n "$agent" ] && kill -TERM "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "deb-smoke: $*" >&2; exit 1; }

field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = interlog ] || fail "Package is $(field Package)"
[[ "$(field Maintainer)" =~ ^[^\<]+\ \<[^@]+@[^\>]+\>$ ]] || fail "Maintainer is not 'Name <email>': $(field Maintainer)"
depends=$(field Depends)
[ "$(grep -o 'libwebkit2gtk-4.1-0' <<<"$depends" | wc -l)" = 1 ] || fail "Depends should name libwebkit2gtk-4.1-0 once: $depends"
[ -n "$(field Description)" ] || fail "no Description"

# Listed into a file first: `grep -q` stops reading at its first match, and under pipefail the
# writer's SIGPIPE would fail the pipeline even though the file is there.
dpkg-deb --contents "$deb" >"$work/contents.txt"
grep -Eq ' (\./)?usr/bin/interlog$' "$work/contents.txt" || fail "no /usr/bin/interlog"
grep -Eq ' (\./)?usr/share/applications/Interlog.desktop$' "$work/contents.txt" || fail "no desktop entry"

# Would install here: apt resolves its dependencies (simulation only, nothing is changed).
apt-get install --simulate --no-install-recommends "$deb" >"$work/apt.log" 2>&1 || {
  cat "$work/apt.log" >&2
  fail "apt cannot install it"
}

dpkg-deb --extract "$deb" "$work/root"
bin="$work/root/usr/bin/interlog"
grep -q '^Exec=interlog' "$work/root/usr/share/applications/Interlog.desktop" || fail "desktop entry does not start interlog"
"$bin" --help >/dev/null || fail "--help failed"

data="$work/data"
"$bin" --headless --data-dir "$data" --port 0 --appd "$repo/tests/fixtures/sample-appd.json" 2>"$work/agent.log" &
agent=$!
result=
for _ in $(seq 50); do
  if result=$("$bin" raise CreateInteraction --context "$repo/tests/fixtures/create-interaction.context.json" \
    --app interlog.log --data-dir "$data" 2>/dev/null); then
    break
  fi
  kill -0 "$agent" 2>/dev/null || { cat "$work/agent.log" >&2; fail "the packaged agent exited"; }
  sleep 0.2
done
grep -q '"status": *"Created"' <<<"$result" || fail "raise through the packaged binary did not give Created: $result"
history=$("$bin" history --data-dir "$data" --json --limit 1)
grep -q '"resultStatus": *"Created"' <<<"$history" ||
  fail "the packaged binary's history does not show the logged interaction"

# The installed app as opened from the desktop menu (no switches, an empty data folder), in its
# windows under Xvfb: the launcher offers the sample apps, the settings window adds, checks and
# removes a directory, a sample app opens (tests/e2e/test/first-run.test.mjs, on this binary).
(cd "$repo/tests/e2e" && INTERLOG_BIN="$bin" xvfb-run -a -s "-screen 0 1600x1000x24" \
  node driver-retry.mjs node --import ../js/lib/register.mjs --test --test-reporter=dot test/first-run.test.mjs) ||
  fail "the packaged app's first run (launcher, sample apps, settings) failed"
echo "deb-smoke: $(basename "$deb") ok ($(field Version), $(du -h "$deb" | cut -f1))"
