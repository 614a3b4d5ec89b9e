#!/usr/bin/env bash
# Starts the release server (what scripts/run.sh serves) on a throw-away SQLite database for the
# browser tests; prints its PID.
# Usage: scripts/e2e-server.sh PORT DATA_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
port=$1 data=$2
APP_DATA_DIR="$data" \
APP_DATABASE__URL="sqlite://$data/e2e.db?mode=rwc" \
APP_SERVER__BIND="127.0.0.1:$port" \
APP_SERVER__PUBLIC_URL="http://127.0.0.1:$port" \
APP_BOOTSTRAP__ADMIN_EMAIL="$E2E_ADMIN_EMAIL" \
APP_BOOTSTRAP__ADMIN_PASSWORD="$E2E_ADMIN_PASSWORD" \
APP_RATE_LIMITS__AUTH_PER_IP_PER_MINUTE=100000 \
APP_RATE_LIMITS__CHAT_STARTS_PER_IP_PER_MINUTE=100000 \
  nohup "$CARGO_TARGET_DIR/release/dealchat" >"$data/server.log" 2>&1 &
echo $!
for _ in $(seq 1 150); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && exit 0
  sleep 0.2
done
echo "server did not become healthy; log:" >&2
cat "$data/server.log" >&2
exit 1
