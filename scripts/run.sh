#!/usr/bin/env bash
# Builds Interlog and starts it with the sample app directory, the sample CRM (a second handler
# for CreateInteraction, so the resolver has a choice) and, on first start, one interaction in
# the history. Close the window to stop everything.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
target_dir=$(scripts/target-dir.sh)
(cd ui && npm run --silent build)
cargo build --release --features custom-protocol
bin=$target_dir/release/interlog
appd=tests/fixtures/sample-appd.json
data_dir=${INTERLOG_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/interlog}

node --import ./tests/js/lib/register.mjs tests/js/sample-crm.mjs >/dev/null 2>&1 &
crm=$!
trap 'kill $crm 2>/dev/null || true' EXIT

"$bin" --appd "$appd" --data-dir "$data_dir" "$@" &
app=$!
if [ ! -s "$data_dir/interlog.db" ] || [ -z "$("$bin" history --data-dir "$data_dir" --limit 1 2>/dev/null)" ]; then
  # First start: wait for the agent, then log the FDC3 example so the history is not empty.
  for _ in $(seq 50); do
    "$bin" raise CreateInteraction --context tests/fixtures/create-interaction.context.json \
      --app interlog.log --data-dir "$data_dir" >/dev/null 2>&1 && break
    sleep 0.2
  done
fi
echo "Interlog is running. Raise the example from the window, or from another terminal:"
echo "  node --import ./tests/js/lib/register.mjs tests/js/raise-example.mjs"
wait $app
