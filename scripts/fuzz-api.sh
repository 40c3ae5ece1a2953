#!/usr/bin/env bash
# Fuzz the running API with schemathesis (from its OpenAPI document) as each demo role; reports any 5xx.
#   scripts/fuzz-api.sh [BASE_URL] [EXAMPLES]     e.g. scripts/fuzz-api.sh http://127.0.0.1:5000 60
# Start the app first (scripts/run-demo.sh, or on PostgreSQL: DATABASE_URL=... flask --app app run). The run
# changes the app's data (it creates, edits and deletes records): use a demo database. schemathesis lives in its
# own venv (.venv-fuzz) so the app's pinned packages stay as they are. /auth, /users and /roles are left out of
# the per-role runs (a fuzzed logout or a disabled admin would end the run's own session) and fuzzed once as admin.
# Sign-ins are throttled per client address (LOGIN_LIMIT_PER_ADDRESS, app/config.py): every request of the run
# comes from 127.0.0.1, so start the app under fuzz with a raised limit or the token requests may answer 429, e.g.
#   CRM_DEMO=1 LOGIN_LIMIT_PER_ADDRESS='10000 per 15 minutes' LOGIN_LIMIT_PER_USER='10000 per 15 minutes' \
#     DATABASE_URL=sqlite:////tmp/fuzz/crm.sqlite .venv/bin/flask --app app run -p 5200
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:-http://127.0.0.1:5000}
N=${2:-60}
[ -x .venv-fuzz/bin/schemathesis ] || { python3 -m venv .venv-fuzz && .venv-fuzz/bin/pip install -q schemathesis; }
token() {
  curl -sf -X POST -H 'Content-Type: application/json' -d "{\"username\":\"$1\",\"password\":\"demo\"}" \
    "$BASE/api/v1/auth/login" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}
run() {  # user, extra schemathesis options...
  local user=$1; shift
  echo "== $user"
  .venv-fuzz/bin/schemathesis run "$BASE/api/v1/openapi.json" --url "$BASE" -H "Authorization: Bearer $(token "$user")" \
    -c not_a_server_error -n "$N" "$@"
}
status=0
for user in admin supervisor manager1 service1 executive analyst; do
  run "$user" --exclude-path-regex '/(auth|users|roles)' --phases examples,coverage,fuzzing,stateful || status=1
done
run admin --include-path-regex '/(users|roles|me)' --phases examples,coverage,fuzzing || status=1
exit $status
