#!/usr/bin/env bash
# Sets everything up, then runs every check: format, clippy (ssr and hydrate), the release build
# that `scripts/run.sh` serves, unit and integration tests on SQLite and on a real PostgreSQL (with a
# real S3-compatible store and a real SMTP server), the fault tests (that release server killed and
# its PostgreSQL restarted under load), and
# the Playwright suite against that release build in Debian's Chromium and Firefox.
# Ends with a summary; exits non-zero when anything failed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$ROOT/scripts/services.sh"
"$ROOT/scripts/setup.sh" --test || { echo "setup failed"; exit 1; }
cd "$ROOT"

results=()
failed=0
# CI shows only the end of the output: a failed step's telling lines (failed tests, panics, errors)
# are repeated just above the summary.
excerpts=$(mktemp)
# A step's line in the summary: name, outcome (its exit code), seconds since t0.
record() {
  local name=$1 rc=$2 t0=$3
  if (( rc == 0 )); then
    results+=("PASS  $name ($((SECONDS - t0)) s)")
  else
    results+=("FAIL  $name ($((SECONDS - t0)) s)")
    failed=1
  fi
}
# For the services: their start functions export what the tests read, so they run in this shell.
service() {
  local name=$1; shift
  log "$name"
  local t0=$SECONDS rc=0
  "$@" || rc=$?
  record "$name" "$rc" "$t0"
}
step() {
  local name=$1; shift
  log "$name"
  local t0=$SECONDS out rc
  out=$(mktemp)
  "$@" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  record "$name" "$rc" "$t0"
  if (( rc != 0 )); then
    {
      echo "--- $name: what failed ---"
      sed 's/\x1b\[[0-9;]*m//g' "$out" \
        | grep -E '^test .* FAILED$|panicked at|✘|^\s+[0-9]+\) \[|^\s*(Error|TimeoutError):|^error(\[|:)|Test timeout|[1-9][0-9]* failed|^Diff in' \
        | head -n 25
    } >>"$excerpts"
  fi
  rm -f "$out"
}

run_playwright() {
  local data idle crm port=3100 idle_port=3101 crm_port=3102 pid idle_pid crm_pid fake_pid fake rc log
  data=$(mktemp -d) idle=$(mktemp -d) crm=$(mktemp -d)
  pid=$("$ROOT/scripts/e2e-server.sh" "$port" "$data") || return 1
  # A second server whose operator sessions close after 4 idle seconds (tests/idle.spec.ts); on
  # the first, such a timeout would close the other tests' chats under them.
  idle_pid=$(APP_CHAT__IDLE_CLOSE_SECS=4 APP_JOBS__POLL_MS=200 "$ROOT/scripts/e2e-server.sh" "$idle_port" "$idle") || return 1
  # A third one for the CRM page (tests/crm.spec.ts), its Zoho addresses at the Zoho stand-in.
  python3 "$ROOT/tests/fakes/zoho_fake.py" --port 0 --state-dir "$crm/zoho" >"$crm/zoho.out" 2>"$crm/zoho.log" &
  fake_pid=$!
  for _ in $(seq 1 100); do grep -q '^LISTENING ' "$crm/zoho.out" 2>/dev/null && break; sleep 0.1; done
  fake=$(sed -n 's/^LISTENING //p' "$crm/zoho.out")
  [[ -n "$fake" ]] || { echo "the Zoho stand-in did not start:"; cat "$crm/zoho.log"; return 1; }
  crm_pid=$(APP_CRM__ZOHO__ACCOUNTS_URL="$fake" APP_CRM__ZOHO__API_URL="$fake" APP_CRM__POLL_SECS=2 APP_JOBS__POLL_MS=200 "$ROOT/scripts/e2e-server.sh" "$crm_port" "$crm") || return 1
  # The server writes its mails as files (the embedded default); the tests read them there.
  (cd end2end && BASE_URL="http://127.0.0.1:$port" IDLE_BASE_URL="http://127.0.0.1:$idle_port" CRM_BASE_URL="http://127.0.0.1:$crm_port" ZOHO_FAKE_URL="$fake" ADMIN_EMAIL="$E2E_ADMIN_EMAIL" ADMIN_PASSWORD="$E2E_ADMIN_PASSWORD" MAIL_DIR="$data/mail" npx playwright test)
  rc=$?
  kill -TERM "$pid" "$idle_pid" "$crm_pid" "$fake_pid" 2>/dev/null
  while kill -0 "$pid" 2>/dev/null || kill -0 "$idle_pid" 2>/dev/null || kill -0 "$crm_pid" 2>/dev/null; do sleep 0.1; done
  for log in "$data/server.log" "$idle/server.log" "$crm/server.log"; do
    # A panic on a server is a failure even when every page the tests looked at seemed fine.
    if grep -q 'panicked' "$log"; then
      echo "the server panicked during the browser tests ($log):"
      grep -A3 'panicked' "$log" | head -n 40
      rc=1
    fi
  done
  (( rc == 0 )) || { echo "--- server log ---"; tail -n 50 "$data/server.log"; }
  rm -rf "$data" "$idle" "$crm"
  return $rc
}

# Incremental caches grow with every change of the crate (23 GiB here after three sessions) and
# filled this machine's disk twice: the checks build without them, and an old cache over 4 GiB
# (from development builds) is dropped.
export CARGO_INCREMENTAL=0
incremental="$CARGO_TARGET_DIR/debug/incremental"
if [[ -d "$incremental" ]] && (( $(du -sm "$incremental" | cut -f1) > 4096 )); then
  log "dropping $incremental (over 4 GiB)"
  rm -rf "$incremental"
fi

service "start PostgreSQL" start_postgres
service "start the S3 test server (SeaweedFS)" start_s3
service "start the SMTP test server (aiosmtpd)" start_smtp
step "cargo fmt --check" cargo fmt --all --check
# The Zoho fake the tests run the Zoho adapters against (tests/fakes): its own checks, in seconds.
step "Zoho fake self-test (python3 -m unittest)" python3 -m unittest tests/fakes/test_zoho_fake.py
step "clippy (ssr)" cargo clippy --workspace --all-targets --features dealchat/ssr -- -D warnings
step "clippy (hydrate, wasm32)" cargo clippy -p dealchat --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings
# What `scripts/run.sh` serves, and what the browser tests run against.
step "release build (cargo leptos build --release --split --precompress)" cargo leptos build --release --split --precompress
# A hung test must not eat CI's 90 minutes: the step is stopped and reported as failed. The fault
# tests (tests/faults) kill and restart the release build, the server that ships.
export DEALCHAT_SERVER_BIN="$CARGO_TARGET_DIR/release/dealchat"
step "unit + integration + fault tests (SQLite and PostgreSQL)" \
  timeout --kill-after=30s "${DEALCHAT_TEST_TIMEOUT:-30m}" cargo test --workspace --features dealchat/ssr
step "browser tests (Playwright on the release build, Chromium and Firefox)" run_playwright
stop_s3
stop_smtp

echo
cat "$excerpts"
rm -f "$excerpts"
echo "================ dealchat test summary ================"
printf '%s\n' "${results[@]}"
echo "======================================================="
exit $failed
