#!/usr/bin/env bash
# Builds the release server and runs a benchmark against it on SQLite: the chat load benchmark
# (benches/chat_load.rs) by default, or with `--upload` first the 1 GiB upload benchmark
# (benches/upload.rs). Other arguments go to the benchmark, e.g.
# `scripts/bench.sh --idle 1000 --latency-secs 5` or `scripts/bench.sh --upload --mib 256`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/setup.sh"
cd "$ROOT"
bench=chat_load
if [[ "${1:-}" == "--upload" ]]; then
  bench=upload
  shift
fi
log "building the release server"
cargo leptos build --release
log "building the benchmark"
cargo bench --features ssr --bench "$bench" --no-run
# 5,000 pollers need 5,000 sockets on each side of the loopback.
ulimit -n "$(ulimit -Hn)"
log "running"
cargo bench --features ssr --bench "$bench" -- "$@"
