#!/usr/bin/env bash
# Sets everything up, then runs every check: format, clippy (ssr and hydrate), the build, unit and
# integration tests on SQLite and on a real PostgreSQL, and the Playwright suite in Debian's Chromium.
# Ends with a summary; exits non-zero when anything failed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/setup.sh" --test || { echo "setup failed"; exit 1; }
cd "$ROOT"

results=()
failed=0
step() {
  local name=$1; shift
  log "$name"
  local t0=$SECONDS
  if "$@"; then
    results+=("PASS  $name ($((SECONDS - t0)) s)")
  else
    results+=("FAIL  $name ($((SECONDS - t0)) s)")
    failed=1
  fi
}

start_postgres() {
  local ver port
  ver=$(ls /etc/postgresql | sort -V | tail -n 1)
  if ! pg_lsclusters --no-header | awk -v v="$ver" '$1 == v && $2 == "main"' | grep -q online; then
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start
  fi
  port=$(pg_lsclusters --no-header | awk -v v="$ver" '$1 == v && $2 == "main" { print $3 }')
  runuser -u postgres -- psql -q -p "$port" -v ON_ERROR_STOP=1 <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dealchat') THEN
    CREATE ROLE dealchat LOGIN PASSWORD 'dealchat' CREATEDB;
  END IF;
END $$;
SQL
  # Each test makes its own database; drop those left by earlier runs.
  runuser -u postgres -- psql -qAt -p "$port" -c \
    "SELECT datname FROM pg_database WHERE datname LIKE 'dealchat_test_%'" |
    while read -r db; do runuser -u postgres -- dropdb -p "$port" "$db"; done
  export DEALCHAT_TEST_PG_URL="postgres://dealchat:dealchat@127.0.0.1:$port"
}

run_playwright() {
  local data port=3100 pid rc
  data=$(mktemp -d)
  pid=$("$ROOT/scripts/e2e-server.sh" "$port" "$data") || return 1
  (cd end2end && BASE_URL="http://127.0.0.1:$port" ADMIN_EMAIL="$E2E_ADMIN_EMAIL" ADMIN_PASSWORD="$E2E_ADMIN_PASSWORD" npx playwright test)
  rc=$?
  kill -TERM "$pid" 2>/dev/null
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  (( rc == 0 )) || { echo "--- server log ---"; tail -n 50 "$data/server.log"; }
  rm -rf "$data"
  return $rc
}

# Incremental caches grow with every change of the crate (23 GiB here after three sessions);
# past 8 GiB they are dropped, which costs one slower build instead of a full disk.
incremental="$CARGO_TARGET_DIR/debug/incremental"
if [[ -d "$incremental" ]] && (( $(du -sm "$incremental" | cut -f1) > 8192 )); then
  log "dropping $incremental (over 8 GiB)"
  rm -rf "$incremental"
fi

step "start PostgreSQL" start_postgres
step "cargo fmt --check" cargo fmt --all --check
step "clippy (ssr)" cargo clippy --workspace --all-targets --features dealchat/ssr -- -D warnings
step "clippy (hydrate, wasm32)" cargo clippy -p dealchat --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings
step "build (cargo leptos build)" cargo leptos build
step "unit + integration tests (SQLite and PostgreSQL)" cargo test --workspace --features dealchat/ssr
step "browser tests (Playwright, Chromium)" run_playwright

echo
echo "================ dealchat test summary ================"
printf '%s\n' "${results[@]}"
echo "======================================================="
exit $failed
