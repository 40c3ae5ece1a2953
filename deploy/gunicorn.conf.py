"""Gunicorn settings of one app node (scripts/cluster.sh starts two behind nginx).

Production users change: GUNICORN_WORKERS (processes; ≈ CPU cores), GUNICORN_THREADS (threads per process),
GUNICORN_TIMEOUT (a request running longer is killed) and GUNICORN_GRACEFUL_TIMEOUT (how long SIGTERM waits for
in-flight requests). The bind address comes from the command line (-b) or GUNICORN_BIND."""
import os

bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8081")]
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Threads: a request waiting on PostgreSQL does not hold a whole process; SQLAlchemy sessions are per thread.
# Two: the app's requests are mostly Python (the GIL runs one thread at a time), so more threads only share the
# processor more finely and every request in flight finishes later. At 8 clients through nginx, 2 threads gave a
# lower p99 than 4 in three alternating pairs of runs (bench/README.md, load.py). Raise it when requests spend
# long in the database (slow reports, a distant database server).
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# SIGTERM: stop accepting, let in-flight requests finish for up to this long, then exit.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Longer than nginx's upstream keepalive_timeout, so nginx never reuses a connection gunicorn just closed.
keepalive = 75
# The app writes its own JSON access line (app.common.request_log); gunicorn's would duplicate it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
proc_name = os.environ.get("NODE_NAME", "crm")
# gunicorn's control socket defaults to one path per user: nodes on one machine would share it. One per node
# (GUNICORN_CONTROL_SOCKET, scripts/cluster.sh puts it in instance/cluster/), or none.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True
# Each worker opens its own database pool: no connection is shared across a fork.
preload_app = False
# Fail a request that nginx forwarded with a body larger than this early (imports are spreadsheets).
limit_request_field_size = 16384


def post_fork(_server, _worker):
    from app.common import json_logging
    json_logging.configure()


def post_worker_init(_worker):
    """The app is loaded: move everything it allocated at start (modules, models, the parsed BPMN, about 270,000
    objects) out of the garbage collector's reach. A full collection scanned them all: a 150 ms pause of every
    request in the process, once every thousand or so requests, which is what a p99 is made of. Afterwards a full
    collection scans only what requests left behind (3 ms). Nothing frozen is garbage: it is what the app keeps."""
    import gc
    gc.freeze()
