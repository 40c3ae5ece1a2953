"""Server-side prepared statements for the hot statements on PostgreSQL (psycopg2 has none of its own).

PostgreSQL parses and plans every statement it receives. For the statements every request sends (the sign-in,
the menu badges, the inbox counts, the engine's lock and write) planning costs more than running them: the
badges' statement 1.27 ms plain against 0.79 ms prepared, the inbox tab counts 0.78 against 0.22, the sign-in
0.30 against 0.13 (bench/README.md). A statement opts in with `.execution_options(prepare=True)`; it should be
one whose best plan does not depend on its parameter values (its connection runs prepared statements with their
generic plan, planned once: plan_cache_mode = force_generic_plan), so searches with LIKE patterns stay plain.
The ORM's loads of one row by primary key are prepared without a mark (`prepare=False` keeps a statement plain).

How: the first time a connection sees such a statement it sends `PREPARE` with the statement's parameters as $n
(inside a savepoint, so a statement PostgreSQL cannot prepare falls back to plain execution without aborting the
transaction); from then on the statement goes out as `EXECUTE name(values)`, psycopg2 filling in the values as
it does for any statement. Prepared statements belong to the database connection: the names live in the pool's
per-connection info, which is cleared when a connection is replaced. At most MAX_PER_CONNECTION are kept, the
least recently used deallocated first.
"""
import itertools
import logging
import os
import re
from collections import OrderedDict

from sqlalchemy import event

log = logging.getLogger(__name__)

MAX_PER_CONNECTION = 200
OPTION = "prepare"
_PARAM = re.compile(r"%\((\w+)\)s")
# The ORM's loads of one row by its primary key (Session.get, a many-to-one's lazy load): always the same best
# plan, and the domain operations of a step run several. SQLAlchemy names their parameter pk_1.
_IDENTITY_LOAD = re.compile(r"\sWHERE \w+\.id = %\(pk_1\)s$")
_NAMES = itertools.count(1)
_UNPREPARABLE = object()


def install(engine):
    """Let the engine's statements marked `prepare=True` run as prepared statements (PostgreSQL only).

    DB_PREPARED_STATEMENTS=0 turns it off: a connection pooler in transaction mode (PgBouncer's
    pool_mode=transaction) hands each transaction a different server connection, where a statement prepared on
    another one does not exist."""
    if engine.dialect.name != "postgresql" or os.environ.get("DB_PREPARED_STATEMENTS", "1") == "0":
        return

    @event.listens_for(engine, "connect")
    def _generic_plans(dbapi_conn, _record):
        # PostgreSQL plans a prepared statement anew for every run while it judges, from estimates, a plan for
        # the given values cheaper than the generic one. For the menu badges (seven counting subqueries) that
        # meant 4.9 ms of planning on every page of a user who sees everything: the admin's badges took 4.1 ms
        # instead of 1.5. The statements marked here are the ones whose plan should not depend on the values;
        # plain statements are planned per run whatever this says. On its own cursor, outside app.db_lazy_begin's
        # transaction control, so nothing rolls it back.
        from psycopg2 import extensions
        if dbapi_conn.server_version < 120000:  # plan_cache_mode came with PostgreSQL 12
            return
        cur = extensions.cursor(dbapi_conn)
        cur.execute("SET plan_cache_mode = force_generic_plan")
        cur.close()
        if not dbapi_conn.autocommit:
            dbapi_conn.commit()

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _before(conn, cursor, statement, parameters, context, executemany):
        if executemany or context is None:
            return statement, parameters
        wanted = context.execution_options.get(OPTION)
        if wanted is None:
            wanted = statement.startswith("SELECT") and _IDENTITY_LOAD.search(statement) is not None
        if not wanted:
            return statement, parameters
        dbapi_conn = cursor.connection
        if not isinstance(parameters, dict) or (dbapi_conn.autocommit and not getattr(dbapi_conn, "lazy", False)):
            return statement, parameters
        prepared = _prepared_on(conn, cursor.connection)
        entry = prepared.get(statement)
        if entry is None:
            entry = _prepare(cursor, statement, prepared)
        else:
            prepared.move_to_end(statement)
        if entry is _UNPREPARABLE:
            return statement, parameters
        context.prepared_from = statement  # for whoever logs statements after this hook (the tests' counters)
        name, names = entry
        return f"EXECUTE {name}({', '.join(f'%({n})s' for n in names)})" if names else f"EXECUTE {name}", \
            parameters


def _prepared_on(conn, dbapi_connection):
    """{statement: (name, parameter names) or _UNPREPARABLE} of this database connection."""
    info = conn.connection.info
    if info.get("prepared_on") is not dbapi_connection:  # a new connection behind the same pool entry
        info["prepared_on"], info["prepared"] = dbapi_connection, OrderedDict()
    return info["prepared"]


def _prepare(cursor, statement, prepared):
    import psycopg2

    from app.db_lazy_begin import needs_transaction
    names = []

    def number(match):
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"
    # Sent without parameters, so psycopg2 leaves the text alone: its escaped percent signs become plain again.
    body = _PARAM.sub(number, statement).replace("%%", "%")
    # A read is named crm_prepared_r<n>: app.db_lazy_begin runs it outside a transaction like the plain read.
    name = f"crm_prepared_{'' if needs_transaction(statement) else 'r'}{next(_NAMES)}"
    evict = []
    while len(prepared) >= MAX_PER_CONNECTION:
        _old, old_entry = prepared.popitem(last=False)
        if old_entry is not _UNPREPARABLE:
            evict.append(f"DEALLOCATE {old_entry[0]}")
    # Outside a transaction (a lazy connection before its first write) a failing PREPARE aborts nothing.
    outside = getattr(cursor.connection, "outside_transaction", None)
    guarded = not (outside and outside())
    try:
        cursor.execute("; ".join(["SAVEPOINT crm_prepare", *evict, f"PREPARE {name} AS {body}",
                                  "RELEASE SAVEPOINT crm_prepare"] if guarded else
                                 [*evict, f"PREPARE {name} AS {body}"]))
        entry = (name, names)
    except psycopg2.Error as err:
        if guarded:
            cursor.execute("ROLLBACK TO SAVEPOINT crm_prepare; RELEASE SAVEPOINT crm_prepare")
        log.warning("statement not prepared, it runs plain: %s", str(err).strip().splitlines()[0])
        entry = _UNPREPARABLE
    prepared[statement] = entry
    return entry
