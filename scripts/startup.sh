#!/usr/bin/env bash
# Start-up time and idle memory of the desktop app, beside a bare Tauri 2 app of the same Tauri
# version built in the same run (tests/startup), under Xvfb:
#   - time from launch to the first painted window;
#   - PSS of the app and all its processes (WebKit's web and network processes) 5 s after launch;
#   - Interlog on an empty ledger and on a large one (1,000,000 raises by default);
#   - once Interlog is idle, a CreateInteraction raise until the resolver dialog is painted.
#
#   scripts/startup.sh [--runs N] [--ledger-rows N]   # about 2 minutes, plus filling the large
#                                                     # ledger once (minutes; kept for later runs)
#   scripts/startup.sh --smoke    # one round, 2,000 rows: proves it runs (the test command runs
#                                 # this; no timing is asserted)
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=$(scripts/target-dir.sh)
runs=5 rows=1000000 smoke=false
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=true runs=1 rows=2000 ;;
    --runs) runs=$2; shift ;;
    --ledger-rows) rows=$2; shift ;;
    *) echo "unknown argument $1 (--runs N, --ledger-rows N, --smoke)" >&2; exit 2 ;;
  esac
  shift
done

step() { printf '\n==> %s\n' "$*"; }

step "Building the release app, the bare Tauri app and the probe"
bin="$target_dir/release/interlog"
if $smoke; then scripts/build-bench.sh --smoke; else scripts/build-bench.sh; fi

scratch="$target_dir/startup-scratch"
large="$scratch/ledger-$rows"
if [ ! -f "$large/interlog.filled-at" ]; then
  step "Filling a ledger of $rows raises (once; kept in $large)"
  rm -rf "$large"
  mkdir -p "$large"
  "$target_dir/release/examples/history_bench" --rows "$rows" --db "$large/interlog.db" --fill-only
fi
empty="$scratch/empty"
rm -rf "$empty" "$scratch/run"
mkdir -p "$empty"

# Each Interlog gets its own data and runtime folders and a free port, no dialog, quiet logs, and
# the sample directory (several apps handle CreateInteraction, so a raise opens the resolver).
environment() {
  echo "env INTERLOG_DATA_DIR=$1 INTERLOG_RUNTIME_DIR=$scratch/run/$2 INTERLOG_NO_DIALOG=1 INTERLOG_LOG=warn"
}
interlog() {
  echo "$(environment "$1" "$2") $bin --port 0 --appd $PWD/tests/fixtures/sample-appd.json"
}
# Once it is idle: a raise through the CLI, timed until the resolver dialog is painted.
raise() {
  echo "$(environment "$1" "$2") $bin raise CreateInteraction --context $PWD/tests/fixtures/create-interaction.context.json"
}

step "Start-up and memory: bare Tauri, Interlog (empty ledger), Interlog ($rows raises)"
# -br: a black root window, so an unpainted window shows as one flat colour.
xvfb-run -a -s "-screen 0 1600x1000x24 -br" "$target_dir/release/startup-compare" \
  --runs "$runs" --settle-ms 5000 --json "$scratch/launches.jsonl" \
  --app "bare-tauri=$target_dir/release/bare-tauri" \
  --app "interlog=$(interlog "$empty" empty)" \
  --app "interlog-$rows-rows=$(interlog "$large" large)" \
  --raise "interlog=$(raise "$empty" empty)" \
  --raise "interlog-$rows-rows=$(raise "$large" large)"
