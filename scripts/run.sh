#!/usr/bin/env bash
# Sets everything up, builds (release) and serves dealchat at http://127.0.0.1:3000 on the embedded
# default: SQLite under ./data, local files, built-in CRM.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/setup.sh"
cd "$ROOT"
log "building (release)"
cargo leptos build --release --split --precompress
log "serving at http://127.0.0.1:3000 (Ctrl-C to stop)"
if [[ -z "${APP_BOOTSTRAP__ADMIN_EMAIL:-}" ]]; then
  log "until an admin exists, the server prints a setup code below: open http://127.0.0.1:3000/setup and enter it"
fi
exec "$CARGO_TARGET_DIR/release/dealchat"
