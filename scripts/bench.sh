#!/usr/bin/env bash
# Builds the release server and runs a benchmark against it: the chat load benchmark
# (benches/chat_load.rs, on SQLite, or `--db postgres`; three runs, `--runs N`; `--pin` puts the
# server and the benchmark on different cores; `--perf FILE` profiles the server) by default; with
# `--upload` first the 1 GiB upload benchmark (benches/upload.rs); with `--faults` first the fault
# tests (tests/faults: kill -9 and PostgreSQL restarts, which the test command runs once) with more
# kills and load, on a local PostgreSQL and S3 server; with `--first-load` the first load of the
# login and chat pages in Chromium on a throttled phone profile (end2end/bench/first-load.bench.ts;
# `RUNS=n` for other than 5); with `--ssr` the server rendering a chat page of 200 messages
# (chat_load's `--ssr-page 1000`); with `--routing 200` the routing phase (chat_load/routing.rs: 50
# operators on a least-busy queue, 200 new chats a second; add `--pin` to keep the benchmark's
# clients off the server's core); with `--transcript` the deal transcript renderer (benches/transcript.rs:
# 10,000 mixed-script messages and 200 files, then 1,000 Latin messages); with `--groups 500` the
# group phase (chat_load/groups.rs: a group chat of 500 members all long-polling, then 20 groups of
# 100 at 50 msg/s). Other arguments go to the program, e.g. `scripts/bench.sh --idle
# 1000 --latency-secs 5`, `scripts/bench.sh --upload --mib 256` or `scripts/bench.sh --faults
# --rounds 3 --senders 32`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$ROOT/scripts/services.sh"
cd "$ROOT"
bench=chat_load
case "${1:-}" in
  --upload) bench=upload; shift ;;
  --transcript) bench=transcript; shift ;;
  --faults) bench=faults; shift ;;
  --first-load) bench=first-load; shift ;;
  --ssr) shift; set -- --ssr-page 1000 --idle 0 --chats 1 "$@" ;;
esac
if [[ "$bench" == faults || "$bench" == first-load ]]; then
  "$ROOT/scripts/setup.sh" --test
else
  "$ROOT/scripts/setup.sh"
fi
log "building the release server"
cargo leptos build --release --split --precompress
# 5,000 pollers need 5,000 sockets on each side of the loopback.
ulimit -n "$(ulimit -Hn)"
if [[ "$bench" == faults ]]; then
  start_postgres
  start_s3
  trap stop_s3 EXIT
  export DEALCHAT_SERVER_BIN="$CARGO_TARGET_DIR/release/dealchat"
  log "running the fault tests"
  # Defaults here: three kills per crash scenario, twice the senders, a longer outage.
  [[ $# -gt 0 ]] || set -- --rounds 3 --senders 24 --outage-secs 20
  cargo test --features ssr --test faults -- "$@"
  exit
fi
if [[ "$bench" == first-load ]]; then
  data=$(mktemp -d)
  pid=$("$ROOT/scripts/e2e-server.sh" 3200 "$data")
  trap 'kill -TERM $pid 2>/dev/null; rm -rf "$data"' EXIT
  log "measuring the first load (Chromium, 4x CPU slowdown, Fast 3G)"
  cd end2end
  BASE_URL="http://127.0.0.1:3200" npx playwright test --config bench/first-load.config.ts "$@"
  exit
fi
# `--db postgres`: the benchmark makes its databases on the test command's PostgreSQL.
if [[ " $* " == *" --db postgres "* ]]; then
  start_postgres
fi
log "building the benchmark"
cargo bench --features ssr --bench "$bench" --no-run
log "running"
cargo bench --features ssr --bench "$bench" -- "$@"
