#!/usr/bin/env bash
# Builds Interlog and starts it with the bundled sample apps (a chat, two CRMs, a contact list,
# served by Interlog itself: `--appd interlog:samples`), the launcher in front, and, on first
# start, a few logged interactions in the history. Close the launcher and the history to stop.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
target_dir=$(scripts/target-dir.sh)
(cd ui && npm run --silent build)
cargo build --release --features custom-protocol
bin=$target_dir/release/interlog
data_dir=${INTERLOG_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/interlog}

"$bin" --appd interlog:samples --data-dir "$data_dir" "$@" &
app=$!
if [ ! -s "$data_dir/interlog.db" ] || [ -z "$("$bin" history --data-dir "$data_dir" --limit 1 2>/dev/null)" ]; then
  # First start: wait for the agent, then log the sample interactions so the history is not empty.
  for seed in scripts/seed/*.json; do
    for _ in $(seq 50); do
      "$bin" raise CreateInteraction --context "$seed" --app interlog.log \
        --data-dir "$data_dir" >/dev/null 2>&1 && break
      sleep 0.2
    done
  done
fi
echo "Interlog is running: open the Chat from the launcher and press \"Log interaction\"."
wait $app
