#!/usr/bin/env bash
# Builds the release server and runs the chat load benchmark against it on SQLite
# (benches/chat_load.rs explains what it measures). Extra arguments go to the benchmark,
# e.g. `scripts/bench.sh --idle 1000 --latency-secs 5`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/setup.sh"
cd "$ROOT"
log "building the release server"
cargo leptos build --release
log "building the benchmark"
cargo bench --features ssr --bench chat_load --no-run
# 5,000 pollers need 5,000 sockets on each side of the loopback.
ulimit -n "$(ulimit -Hn)"
log "running"
cargo bench --features ssr --bench chat_load -- "$@"
