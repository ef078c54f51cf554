#!/usr/bin/env bash
# Every benchmark, side by side with the FDC3 reference agent, in one run:
#   - the floors on this machine: one durable write (append + fdatasync, a SQLite commit) and a
#     relay that only moves frames (the WebSocket stack's cost per round trip);
#   - the ledger alone (journal thread and applying thread apart), at 1 and 8 pairs;
#   - CreateInteraction round trips over the socket, Interlog and the reference, at 1 and 8 pairs;
#   - broadcast fan-out to 10 listeners on a user channel (Interlog).
#
#   scripts/bench.sh            # full runs (about 6 minutes)
#   scripts/bench.sh --smoke    # a few hundred of each: proves they run and lose nothing (the test
#                               # command runs this; no timing is asserted)
#
# The reference agent comes from ../shared/reference-da (or $REFERENCE_DA); without it the
# comparison says so loudly and measures Interlog alone.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
smoke=false
[ "${1:-}" = "--smoke" ] && smoke=true
target_dir=$(scripts/target-dir.sh)

if $smoke; then
  writes=200 ledger_rts=400 rts=400 warmup=40 broadcasts=100
else
  writes=3000 ledger_rts=10000 rts=20000 warmup=2000 broadcasts=2000
fi

step() { printf '\n==> %s\n' "$*"; }

step "Building the release binary and the benchmark programs"
bin="$target_dir/release/interlog"
if $smoke; then scripts/build-bench.sh --smoke; else scripts/build-bench.sh; fi

reference_src=${REFERENCE_DA:-$root/../shared/reference-da}
agents=(--agent "interlog=$bin --headless")
if [ -f "$reference_src/server.mjs" ]; then
  reference="$target_dir/reference-da"
  if [ ! -d "$reference/node_modules" ] || [ "$reference_src/package-lock.json" -nt "$reference/node_modules" ]; then
    rm -rf "$reference"
    cp -r "$reference_src" "$reference"
    (cd "$reference" && npm ci --silent --no-audit --no-fund)
  fi
  agents+=(--agent "reference=node $reference/server.mjs")
else
  printf '\n!!!!!!!!\n!! %s is absent: the reference agent is LEFT OUT of this comparison.\n!!!!!!!!\n' \
    "$reference_src" >&2
fi

step "Floor: one durable write on the ledger's disk (this folder's file system)"
mkdir -p "$target_dir/bench-scratch"
"$target_dir/release/examples/durability_floor" --dir "$target_dir/bench-scratch" --writes "$writes"

step "Floor: a relay that only moves frames"
(cd tests/js && node --import ./lib/register.mjs bench/transport-floor.mjs \
  --relay "$target_dir/release/examples/transport_floor" --total "$rts" --warmup "$warmup")

step "The ledger alone"
for pairs in 1 8; do
  TMPDIR="$target_dir/bench-scratch" "$target_dir/release/examples/ledger_bench" --round-trips "$ledger_rts" --pairs "$pairs"
done

step "Round trips over the socket"
(cd tests/js && node --import ./lib/register.mjs bench/roundtrip.mjs --total "$rts" --warmup "$warmup" "${agents[@]}")

# Interlog alone: its figure is compared with the relay's per-frame cost above. The reference agent
# delivers none of this benchmark's broadcasts (its listeners wait out their 5 s).
step "Broadcast fan-out to 10 listeners"
(cd tests/js && node --import ./lib/register.mjs bench/broadcast.mjs --listeners 10 --count "$broadcasts" \
  --agent "interlog=$bin --headless")
