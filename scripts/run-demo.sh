#!/usr/bin/env bash
# One command on a fresh machine: set up, migrate, seed demo data, start worker+beat and the web app.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export FLASK_APP=app
export CRM_DEMO=1  # the demo may run on the published default SECRET_KEY; nothing else may
mkdir -p instance
.venv/bin/flask --app app db upgrade
.venv/bin/flask --app app seed-demo
PORT=${PORT:-5000}
# Worker with embedded beat; the embedded default broker is a SQLite file (no server to install).
.venv/bin/celery -A scheduler worker -B --loglevel=warning --concurrency=1 \
  --schedule instance/celerybeat-schedule >instance/worker.log 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT
cat <<TXT

  CRM is running at http://127.0.0.1:${PORT}/
  Demo logins (password "demo" for all):
    admin       系统管理员 (administrator)
    supervisor  销售主管 (sales supervisor)
    manager1    客户经理 (customer manager)
    manager2    客户经理 (customer manager)
    service1    客服专员 (service representative)
    executive   高管 (executive)
    analyst     流程分析员 (process analyst)

TXT
.venv/bin/flask --app app run --host 127.0.0.1 --port "$PORT"
