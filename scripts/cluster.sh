#!/usr/bin/env bash
# A production-shaped cluster on this machine: nginx on PORT in front of two gunicorn app nodes, two Celery
# workers and one beat, on PostgreSQL (DATABASE_URL, else the crm_cluster database, created) and Redis.
#
#   scripts/cluster.sh up        start everything, wait until ready, print the URL and where the logs are
#   scripts/cluster.sh status    what runs (pids, readiness of each node)
#   scripts/cluster.sh down      stop exactly what `up` started (recorded pids), nothing left on PORT
#   scripts/cluster.sh start|stop|kill NAME   one component (node1 node2 worker1 worker2 beat nginx), for fault tests
#
# Settings (environment): PORT (8080), NODE_PORTS ("8081 8082"), ONE_NODE_PORT (8083: nginx to node1 only, for
# benchmarks), DATABASE_URL, CELERY_BROKER_URL (redis://127.0.0.1:6379/5), CELERY_RESULT_BACKEND (…/6),
# GUNICORN_WORKERS (processes per node; default: the machine's cores shared out among the nodes) / GUNICORN_THREADS
# (deploy/gunicorn.conf.py), WORKER_CONCURRENCY (2), LOG_LEVEL (info),
# CELERY_TASK_TIME_LIMIT (300 s; the broker's visibility timeout is one minute more). State: instance/cluster/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUN=$ROOT/instance/cluster
LOGS=$RUN/logs
PIDS=$RUN/pids
PORT=${PORT:-8080}
NODE_PORTS=(${NODE_PORTS:-8081 8082})
ONE_NODE_PORT=${ONE_NODE_PORT:-8083}
WORKERS=2
# The nodes of this script share one machine, so they share its cores: each node gets its part of them (2 cores,
# 2 nodes: one process of GUNICORN_THREADS threads each). Two processes per node on 2 cores meant one node alone
# already used the whole machine and a second could only add contention (bench/README.md, "Cluster under load").
# On a machine of its own a node would take about one process per core.
CORES=$(nproc 2>/dev/null || echo 2)
export GUNICORN_WORKERS=${GUNICORN_WORKERS:-$(( CORES / ${#NODE_PORTS[@]} > 0 ? CORES / ${#NODE_PORTS[@]} : 1 ))}
export DATABASE_URL=${DATABASE_URL:-postgresql://root@127.0.0.1:5432/crm_cluster}
export CELERY_BROKER_URL=${CELERY_BROKER_URL:-redis://127.0.0.1:6379/5}
export CELERY_RESULT_BACKEND=${CELERY_RESULT_BACKEND:-redis://127.0.0.1:6379/6}
export SECRET_KEY=${SECRET_KEY:-$(cat "$RUN/secret" 2>/dev/null || true)}
export DEPLOY_MODELS_AT_START=0   # `up` deploys once, before the nodes start
export LOG_LEVEL=${LOG_LEVEL:-info}
PY=$ROOT/.venv/bin

say() { echo "cluster: $*"; }
# Without autovacuum nothing refreshes the planner's statistics or the visibility map as tasks pile up: after a
# few thousand new tasks the inbox's statements chose the wrong indexes and the page took twice as long
# (bench/README.md, session 9). Production servers run it (PostgreSQL's default); say so when this one does not.
warn_without_autovacuum() {
  local on
  on=$("$PY/python" -c 'import os, sys; from sqlalchemy import create_engine, text
from app.db import normalize_url
e = create_engine(normalize_url(os.environ["DATABASE_URL"]))
with e.connect() as c: print(c.execute(text("SHOW autovacuum")).scalar())' 2>/dev/null || echo unknown)
  if [ "$on" = "off" ]; then
    say "warning: autovacuum is off on this PostgreSQL server: statistics go stale as data grows and plans degrade;"
    say "         turn it on (autovacuum = on) or run VACUUM ANALYZE between load runs"
  fi
}
die() { echo "cluster: $*" >&2; exit 1; }
pid_of() { cat "$PIDS/$1.pid" 2>/dev/null || true; }
alive() { local p; p=$(pid_of "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
components() { echo nginx; for i in "${!NODE_PORTS[@]}"; do echo "node$((i + 1))"; done;
               for i in $(seq "$WORKERS"); do echo "worker$i"; done; echo beat; }

# Start one component in its own session (process group), so that stop/kill reach its children too.
launch() {
  local name=$1; shift
  if alive "$name"; then say "$name already runs (pid $(pid_of "$name"))"; return; fi
  setsid "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! >"$PIDS/$name.pid"
}

start_one() {
  local name=$1
  case $name in
    node[0-9]*)
      local port=${NODE_PORTS[$((${name#node} - 1))]}
      NODE_NAME="$name@127.0.0.1:$port" GUNICORN_CONTROL_SOCKET="$RUN/$name.ctl" launch "$name" "$PY/gunicorn" -c deploy/gunicorn.conf.py \
        -b "127.0.0.1:$port" 'app:create_app()' ;;
    worker[0-9]*)
      NODE_NAME="$name" launch "$name" "$PY/celery" -A scheduler worker -n "$name@%h" --concurrency="${WORKER_CONCURRENCY:-2}" \
        --loglevel="$LOG_LEVEL" ;;
    beat)
      # Its own process (never `worker -B`); a lock in Redis keeps any second beat waiting (scheduler.beat_lock).
      NODE_NAME=beat launch beat "$PY/celery" -A scheduler beat --loglevel="$LOG_LEVEL" --schedule "$RUN/celerybeat-schedule" ;;
    nginx)
      launch nginx nginx -p "$RUN" -c "$RUN/nginx.conf" -g 'daemon off;' ;;
    *) die "no component $name (one of: $(components | tr '\n' ' '))" ;;
  esac
}

stop_one() {  # SIGTERM (gunicorn and celery finish what they are doing), then SIGKILL the group after 40 s
  local name=$1 sig=${2:-TERM} p
  p=$(pid_of "$name")
  [ -n "$p" ] || return 0
  if kill -0 "$p" 2>/dev/null; then
    kill "-$sig" "$p" 2>/dev/null || true
    for _ in $(seq 400); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  fi
  kill -KILL -- "-$p" 2>/dev/null || true   # whatever is left of its process group (pool children, workers)
  rm -f "$PIDS/$name.pid"
}

kill_one() {  # kill -9 the whole component (a crash): no cleanup, no graceful stop
  local p; p=$(pid_of "$1")
  [ -n "$p" ] || die "$1 is not running"
  kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p"
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
  say "killed $1 (process group $p) with SIGKILL"
}

render_nginx() {
  local ups="" user=""
  for p in "${NODE_PORTS[@]}"; do ups+="        server 127.0.0.1:$p max_fails=1 fail_timeout=3s;"$'\n'; done
  # As root nginx would run its workers as nobody, who may not read the repository or write instance/.
  [ "$(id -u)" = 0 ] && user="user root;"
  mkdir -p "$RUN/tmp"
  sed -e "s|@RUN@|$RUN|g" -e "s|@LOGS@|$LOGS|g" -e "s|@ROOT@|$ROOT|g" -e "s|@PORT@|$PORT|g" \
      -e "s|@ONE_NODE_PORT@|$ONE_NODE_PORT|g" -e "s|@USER@|$user|" \
      -e "s|@FIRST_UPSTREAM@|        server 127.0.0.1:${NODE_PORTS[0]};|" deploy/nginx.conf.template |
    awk -v ups="$ups" '{ if ($0 == "@UPSTREAMS@") printf "%s", ups; else print }' >"$RUN/nginx.conf"
  nginx -t -q -p "$RUN" -c "$RUN/nginx.conf" || die "nginx rejected $RUN/nginx.conf"
}

need() {
  [ -x "$PY/python" ] || scripts/setup.sh
  if ! command -v nginx >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || die "nginx is missing: sudo apt-get install nginx"
    say "installing nginx (Debian package)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null 2>&1 ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }
  fi
  "$PY/python" - <<'PY' || die "PostgreSQL does not answer at DATABASE_URL=$DATABASE_URL (start it: pg_ctlcluster <version> main start)"
import os
from app.db import ensure_database
ensure_database(os.environ["DATABASE_URL"])
PY
  "$PY/python" -c "import os, redis; redis.Redis.from_url(os.environ['CELERY_BROKER_URL'], socket_timeout=2).ping()" \
    2>/dev/null || die "Redis does not answer at CELERY_BROKER_URL=$CELERY_BROKER_URL (start it: redis-server --daemonize yes)"
  for p in "$PORT" "$ONE_NODE_PORT" "${NODE_PORTS[@]}"; do
    listening "$p" && die "port $p is already in use (another cluster? scripts/cluster.sh status)"
  done
  return 0
}

wait_ready() {  # every node ready on its own port, then through nginx
  local deadline=$((SECONDS + ${READY_TIMEOUT:-120})) p
  for p in "${NODE_PORTS[@]}" "$PORT"; do
    until curl -fs -o /dev/null "http://127.0.0.1:$p/health/ready"; do
      [ $SECONDS -lt $deadline ] || return 1
      sleep 0.5
    done
  done
}

up() {
  mkdir -p "$LOGS" "$PIDS"
  for c in $(components); do alive "$c" && die "already running ($c, pid $(pid_of "$c")); scripts/cluster.sh down first"; done
  need
  if [ -z "$SECRET_KEY" ]; then
    SECRET_KEY=$("$PY/python" -c 'import secrets; print(secrets.token_hex(32))'); echo "$SECRET_KEY" >"$RUN/secret"
  fi
  say "database $DATABASE_URL: migrations, demo data, BPMN models"
  { "$PY/flask" --app app db upgrade && "$PY/flask" --app app seed-demo && "$PY/flask" --app app process deploy; } \
    >>"$LOGS/setup.log" 2>&1 || die "setting up the database failed: see $LOGS/setup.log"
  warn_without_autovacuum
  render_nginx
  for c in $(components); do start_one "$c"; done
  if ! wait_ready; then
    echo "cluster: not ready in time; last log lines:" >&2
    tail -n 5 "$LOGS"/*.log >&2 || true
    down
    exit 1
  fi
  cat <<TXT

  CRM cluster is ready at http://127.0.0.1:$PORT/   (node1 alone through nginx: http://127.0.0.1:$ONE_NODE_PORT/)
  nodes: ${NODE_PORTS[*]} ($GUNICORN_WORKERS gunicorn process(es) each), workers: $WORKERS, beat: 1, database: $DATABASE_URL, broker: $CELERY_BROKER_URL
  logs (JSON lines): $LOGS/{node1,node2,worker1,worker2,beat}.log, nginx: $LOGS/nginx-{access,error}.log
  pids: $PIDS/   stop: scripts/cluster.sh down

TXT
}

down() {
  # nginx first (no new requests), then the nodes (gunicorn lets in-flight requests finish), workers, beat.
  local c
  for c in $(components); do stop_one "$c"; done
  for p in "$PORT" "$ONE_NODE_PORT"; do listening "$p" && die "port $p is still in use by a process this script did not start"; done
  say "stopped; nothing listens on $PORT"
}

status() {
  local c p any=0
  for c in $(components); do
    p=$(pid_of "$c")
    if alive "$c"; then
      any=1
      case $c in
        node*) printf '%-8s pid %-8s %s\n' "$c" "$p" \
                 "$(curl -s -m 3 "http://127.0.0.1:${NODE_PORTS[$((${c#node} - 1))]}/health/ready" || echo 'no answer')" ;;
        nginx) printf '%-8s pid %-8s http://127.0.0.1:%s/ %s\n' "$c" "$p" "$PORT" \
                 "$(curl -s -m 3 -o /dev/null -w 'ready: HTTP %{http_code}' "http://127.0.0.1:$PORT/health/ready")" ;;
        *) printf '%-8s pid %-8s running\n' "$c" "$p" ;;
      esac
    else
      printf '%-8s %s\n' "$c" "${p:+dead (pid $p recorded)}${p:-not running}"
    fi
  done
  [ $any = 1 ] || say "not running"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  start) mkdir -p "$LOGS" "$PIDS"; start_one "${2:?name}" ;;
  stop) stop_one "${2:?name}" ;;
  kill) kill_one "${2:?name}" ;;
  *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
