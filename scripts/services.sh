# The services the tests run against, started on this machine (sourced by test.sh and bench.sh):
# PostgreSQL (Debian's cluster), SeaweedFS as the S3-compatible store, aiosmtpd as the mail server.
# Each `start_*` exports the DEALCHAT_TEST_* variables the tests read.

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
  # The fault tests stop and start this cluster under the running servers.
  export DEALCHAT_TEST_PG_CTL="pg_ctlcluster --skip-systemctl-redirect $ver main"
}

# SeaweedFS in its one-process mode, S3 on a free port, a fresh data dir and bucket per run. Its
# other services take fixed offsets from the S3 port, and one of those can be taken by another
# program's connection: then it stops at once, and the next try takes another port.
start_s3() {
  local try
  for try in 1 2 3 4 5; do
    try_start_s3 && return 0
    stop_s3
    echo "SeaweedFS did not start (try $try); trying another port"
  done
  return 1
}

try_start_s3() {
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # Keep the offset ports below 55,000.
  (( port < 40000 )) || port=$(( port % 30000 + 10000 ))
  S3_DATA=$(mktemp -d)
  AWS_ACCESS_KEY_ID=dealchat-test AWS_SECRET_ACCESS_KEY=dealchat-test-secret \
    nohup "$TOOLS/bin/weed" mini -dir="$S3_DATA" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -s3.port="$port" -filer.port=$((port + 555)) -master.port=$((port + 1000)) \
    -volume.port=$((port + 1007)) -webdav=false -admin.ui=false -s3.port.iceberg=0 \
    -s3.port.lance=0 -master.telemetry=false >"$S3_DATA/weed.log" 2>&1 &
  S3_PID=$!
  for _ in $(seq 1 300); do
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" == 200 ]] &&
      grep -q 'All enabled components are running' "$S3_DATA/weed.log"; then
      export DEALCHAT_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
      export DEALCHAT_TEST_S3_KEY=dealchat-test DEALCHAT_TEST_S3_SECRET=dealchat-test-secret
      return 0
    fi
    kill -0 "$S3_PID" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 30 "$S3_DATA/weed.log"
  return 1
}

stop_s3() {
  [[ -n "${S3_PID:-}" ]] || return 0
  kill "$S3_PID" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$S3_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$S3_PID" 2>/dev/null
  rm -rf "$S3_DATA"
  S3_PID=
}

# aiosmtpd on a free port, writing what it receives into a maildir the mail tests read.
start_smtp() {
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  SMTP_DIR=$(mktemp -d)
  mkdir -p "$SMTP_DIR/maildir/tmp" "$SMTP_DIR/maildir/new" "$SMTP_DIR/maildir/cur"
  PYTHONPATH="$TOOLS/aiosmtpd-$AIOSMTPD_VERSION" nohup python3 -m aiosmtpd -n \
    -l "127.0.0.1:$port" -c aiosmtpd.handlers.Mailbox "$SMTP_DIR/maildir" >"$SMTP_DIR/smtp.log" 2>&1 &
  SMTP_PID=$!
  for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1', $port), 1); sys.exit(0 if s.recv(3) == b'220' else 1)" 2>/dev/null; then
      export DEALCHAT_TEST_SMTP_PORT=$port DEALCHAT_TEST_MAILDIR="$SMTP_DIR/maildir"
      return 0
    fi
    kill -0 "$SMTP_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$SMTP_DIR/smtp.log"
  return 1
}

stop_smtp() {
  [[ -n "${SMTP_PID:-}" ]] || return 0
  kill "$SMTP_PID" 2>/dev/null
  rm -rf "$SMTP_DIR"
  SMTP_PID=
}
