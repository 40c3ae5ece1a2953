#!/usr/bin/env bash
# The test command: set up, then run the whole suite on SQLite and on PostgreSQL.
# PostgreSQL: TEST_PG_URL (default postgresql://root@127.0.0.1:5432/crm_test); the database is created if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
PG=${TEST_PG_URL:-postgresql://root@127.0.0.1:5432/crm_test}
status=0
echo "== suite on SQLite =="
TEST_DATABASE_URL= .venv/bin/python -m pytest -q -p no:cacheprovider "$@" || status=$?
echo "== suite on PostgreSQL =="
TEST_DATABASE_URL=$PG .venv/bin/python -m pytest -q -p no:cacheprovider "$@" || status=$?
exit $status
