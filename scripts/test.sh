#!/usr/bin/env bash
# The test command: set up, make sure what the suite needs is there, then run the whole suite on SQLite and on
# PostgreSQL. PostgreSQL: TEST_PG_URL (default postgresql://root@127.0.0.1:5432/crm_test; the database is
# created if missing). Extra arguments go to pytest (scripts/test.sh tests/test_auth.py -x).
#
# On a fresh Debian/Ubuntu machine it installs (as root, through apt) chromium + fonts-noto-cjk for the browser
# tests, PostgreSQL when no server answers on TEST_PG_URL's port (started locally, with a `root` role) and Redis
# (the Celery broker of the worker tests); where it cannot, it says in one line what is missing and how to get it.
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${TEST_PG_URL:-postgresql://root@127.0.0.1:5432/crm_test}
export DEBIAN_FRONTEND=noninteractive

missing() { echo "test.sh: missing $1 — $2" >&2; exit 1; }
can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
apt_install() {
  apt-get install -y -qq "$@" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$@" >/dev/null; }
}
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# Browser tests: Debian's chromium (tests/e2e) and CJK fonts (the UI is Chinese).
if ! command -v chromium >/dev/null 2>&1 || [ ! -d /usr/share/fonts/opentype/noto ]; then
  can_apt || missing "chromium / fonts-noto-cjk" "sudo apt-get install chromium fonts-noto-cjk"
  echo "test.sh: installing chromium and fonts-noto-cjk"
  apt_install chromium fonts-noto-cjk
fi

# PostgreSQL on the host and port of TEST_PG_URL.
PG_HOST=$(python3 -c "from urllib.parse import urlsplit as u; print(u('$PG').hostname or '127.0.0.1')")
PG_PORT=$(python3 -c "from urllib.parse import urlsplit as u; print(u('$PG').port or 5432)")
if ! port_open "$PG_HOST" "$PG_PORT"; then
  case $PG_HOST in 127.0.0.1|localhost) ;; *) missing "PostgreSQL at $PG_HOST:$PG_PORT" "start it or set TEST_PG_URL" ;; esac
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    can_apt || missing "PostgreSQL" "sudo apt-get install postgresql, or set TEST_PG_URL to a server you have"
    echo "test.sh: installing PostgreSQL"
    apt_install postgresql
  fi
  version=$(ls /etc/postgresql | sort -V | tail -1)
  echo "test.sh: starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 30); do port_open "$PG_HOST" "$PG_PORT" && break; sleep 1; done
  port_open "$PG_HOST" "$PG_PORT" || missing "PostgreSQL on port $PG_PORT" "see /var/log/postgresql/"
  # The URL's user (root by default) as a superuser that may create the test databases; a fresh server asks
  # for a password over TCP, which libpq takes from PGPASSWORD.
  pg_user=$(python3 -c "from urllib.parse import urlsplit as u; print(u('$PG').username or 'root')")
  if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null 2>&1; then
    if ! runuser -u postgres -- psql -XAtqc "SELECT 1 FROM pg_roles WHERE rolname = '$pg_user'" | grep -q 1; then
      runuser -u postgres -- psql -Xqc "CREATE ROLE \"$pg_user\" SUPERUSER LOGIN PASSWORD 'crm-test'"
      echo "test.sh: created PostgreSQL role $pg_user (password crm-test, used through PGPASSWORD)"
    fi
    export PGPASSWORD=${PGPASSWORD:-crm-test}
  fi
fi

# Redis: the broker of the worker and beat tests.
if ! port_open 127.0.0.1 6379; then
  if ! command -v redis-server >/dev/null 2>&1; then
    can_apt || missing "Redis on 127.0.0.1:6379" "sudo apt-get install redis-server"
    echo "test.sh: installing Redis"
    apt_install redis-server
  fi
  echo "test.sh: starting Redis on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /tmp \
    --logfile /tmp/redis-test.log
  for _ in $(seq 20); do port_open 127.0.0.1 6379 && break; sleep 0.5; done
fi

scripts/setup.sh
status=0
echo "== suite on SQLite =="
TEST_DATABASE_URL= .venv/bin/python -m pytest -q -p no:cacheprovider "$@" || status=$?
echo "== suite on PostgreSQL =="
TEST_DATABASE_URL=$PG .venv/bin/python -m pytest -q -p no:cacheprovider "$@" || status=$?
exit $status
