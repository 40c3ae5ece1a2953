"""PostgreSQL transactions that begin with their first write, and transaction control that travels with the next
statement instead of costing a round trip of its own.

psycopg2 sends BEGIN on its own before a transaction's first statement, the session's end sends ROLLBACK even when
it only read, and SQLAlchemy's begin_nested sends SAVEPOINT and RELEASE SAVEPOINT on their own. A page that only
reads paid three round trips for one query; a service step with an operation paid three more for its BEGIN,
SAVEPOINT and RELEASE. Here:

- a statement that only reads (a SELECT without FOR UPDATE/SHARE and without a function that changes something)
  runs outside any transaction when none is open. Under READ COMMITTED, PostgreSQL's default and this app's
  level, every statement of a transaction takes its own snapshot anyway, so a read sees the same rows either way,
  and without a write there is nothing to roll back;
- the first statement that does need a transaction goes out as "BEGIN; <statement>" in one round trip;
- SAVEPOINT and RELEASE SAVEPOINT wait and go out in front of the next statement (a savepoint nobody wrote in is
  never sent; COMMIT releases what is left);
- commit and rollback cost nothing when no transaction was opened.

psycopg2 runs in autocommit mode underneath (it then sends nothing of its own), and this connection class sends
BEGIN, COMMIT and ROLLBACK itself. A server whose default isolation is not READ COMMITTED, or a connection that
SQLAlchemy switches to another isolation level, gets psycopg2's own behaviour back. DB_LAZY_BEGIN=0 turns it off.
"""
import functools
import re

from psycopg2 import extensions as ext

IDLE = ext.TRANSACTION_STATUS_IDLE
# Statements that need no transaction: plain reads, and the prepared-statement bookkeeping of app.db_prepared
# (PREPARE and DEALLOCATE are not transactional). "crm_prepared_r" names a prepared read (app.db_prepared).
_NO_TRANSACTION = re.compile(r"\s*(SELECT\s|SHOW\s|EXECUTE crm_prepared_r\d|PREPARE\s|DEALLOCATE\s)", re.I)
_PREPARE = re.compile(r"\s*(PREPARE|DEALLOCATE)\s", re.I)
# A read that locks rows or changes something all the same.
_WRITES_ANYWAY = re.compile(
    r"\bFOR\s+(UPDATE|NO\s+KEY\s+UPDATE|SHARE|KEY\s+SHARE)\b"
    r"|\b(nextval|setval|pg_advisory\w*|pg_try_advisory\w*|set_config|pg_notify|txid_current\w*|pg_current_xact_id\w*"
    r"|lo_\w+|pg_terminate_backend|pg_cancel_backend)\s*\(", re.I)
_SAVEPOINT = re.compile(r"SAVEPOINT (\w+)$")
_RELEASE = re.compile(r"RELEASE SAVEPOINT (\w+)$")
_ROLLBACK_TO = re.compile(r"ROLLBACK TO SAVEPOINT (\w+)$")


@functools.lru_cache(maxsize=2048)  # the same few hundred statement texts come back on every request
def needs_transaction(sql: str) -> bool:
    """Whether `sql` must run inside a transaction (it writes, locks, or is not recognised as a plain read)."""
    if not _NO_TRANSACTION.match(sql):
        return True
    return not _PREPARE.match(sql) and _WRITES_ANYWAY.search(sql) is not None


class LazyBeginCursor(ext.cursor):
    def execute(self, query, vars=None):
        conn = self.connection
        if not conn.lazy:
            return super().execute(query, vars)
        if not isinstance(query, str) or self.name is not None:
            # A composed query, or a server-side cursor (psycopg2 wraps the query in DECLARE: nothing can go in
            # front of it): open the transaction on its own first.
            conn.send_pending(begin=True)
            return super().execute(query, vars)
        if not vars and conn.defer(query):
            return None
        prefix = conn.take_pending(needs_transaction(query))
        return self.send(f"{prefix}; {query}" if prefix else query, vars)

    def send(self, query, vars):
        """One round trip."""
        return super().execute(query, vars)

    def executemany(self, query, vars_list):
        self.connection.send_pending(begin=True)
        return super().executemany(query, vars_list)

    def callproc(self, procname, parameters=None):
        self.connection.send_pending(begin=True)
        return super().callproc(procname, parameters)

    def copy_expert(self, sql, file, size=8192):
        self.connection.send_pending(begin=True)
        return super().copy_expert(sql, file, size)

    def copy_from(self, *args, **kwargs):
        self.connection.send_pending(begin=True)
        return super().copy_from(*args, **kwargs)

    def copy_to(self, *args, **kwargs):
        self.connection.send_pending(begin=True)
        return super().copy_to(*args, **kwargs)


class LazyBeginConnection(ext.connection):
    """psycopg2 connection (create_engine(connect_args={"connection_factory": LazyBeginConnection}))."""

    plain_cursor = ext.cursor  # sends this class's own BEGIN, COMMIT and ROLLBACK (a test may count them)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cursor_factory = LazyBeginCursor
        self.pending = []  # transaction control not sent yet, in order
        self.autocommit = True
        cur = ext.cursor(self)
        cur.execute("SHOW default_transaction_isolation")
        # A BEGIN of ours takes the server's default level: lazy only where that is READ COMMITTED.
        self.server_read_committed = cur.fetchone()[0] == "read committed"
        self.lazy = self.autocommit = self.server_read_committed

    def cursor(self, name=None, cursor_factory=None, scrollable=None, withhold=False):
        # psycopg2 refuses a server-side cursor in autocommit mode unless it is WITH HOLD. It runs inside the
        # transaction LazyBeginCursor opens for it, where WITH HOLD changes nothing until COMMIT (a cursor still
        # open then would be kept; SQLAlchemy closes its cursors before).
        if name is not None and self.lazy:
            withhold = True
        return super().cursor(name, cursor_factory=cursor_factory, scrollable=scrollable, withhold=withhold)

    # --- what waits for the next statement -------------------------------------------------------------------

    def defer(self, sql) -> bool:
        """Hold back a SAVEPOINT or RELEASE SAVEPOINT (or cancel one that was never sent); True when `sql` needs
        no round trip now."""
        if not sql.startswith(("SAVEPOINT ", "RELEASE SAVEPOINT ", "ROLLBACK TO SAVEPOINT ")):
            return False
        if sql.startswith("SAVEPOINT "):
            if _SAVEPOINT.match(sql) is None:
                return False
            if not self.pending and self.get_transaction_status() == IDLE:
                self.pending.append("BEGIN")
            self.pending.append(sql)
            return True
        for pattern in (_RELEASE, _ROLLBACK_TO):
            m = pattern.match(sql)
            if m is not None and self.pending and self.pending[-1] == f"SAVEPOINT {m.group(1)}":
                self.pending.pop()  # nothing ran inside it: there is nothing to release or undo
                return True
        if _RELEASE.match(sql) is not None and self.get_transaction_status() != IDLE:
            self.pending.append(sql)
            return True
        return False

    def take_pending(self, begin: bool) -> str:
        """What must go out in front of the next statement: the held statements, and BEGIN when the statement
        needs a transaction and none is open."""
        pending, self.pending = self.pending, []
        if begin and not pending and self.get_transaction_status() == IDLE:
            pending = ["BEGIN"]
        return "; ".join(pending)

    def send_pending(self, begin: bool):
        """Send what waits (and BEGIN) on its own, before a statement nothing can go in front of. A connection that
        is not lazy (an AUTOCOMMIT block, another isolation level) has psycopg2 doing it: nothing to send."""
        if not self.lazy:
            return
        prefix = self.take_pending(begin)
        if prefix:
            self.plain_cursor(self).execute(prefix)

    def outside_transaction(self) -> bool:
        """Lazy, nothing held back, no transaction open: a statement sent now runs on its own."""
        return self.lazy and not self.pending and self.get_transaction_status() == IDLE

    # --- the transaction's end -------------------------------------------------------------------------------

    def commit(self):
        if not self.lazy:
            return super().commit()
        self.pending = []  # COMMIT releases every savepoint; one never sent needs nothing
        if self.get_transaction_status() != IDLE:
            self.plain_cursor(self).execute("COMMIT")

    def rollback(self):
        if not self.lazy:
            return super().rollback()
        self.pending = []
        if self.get_transaction_status() != IDLE:
            self.plain_cursor(self).execute("ROLLBACK")

    # --- SQLAlchemy's isolation-level switches ---------------------------------------------------------------

    def set_isolation_level(self, level):
        """SQLAlchemy switches isolation through here (an AUTOCOMMIT block in a migration, and back). READ
        COMMITTED is lazy again; any other level is psycopg2's own."""
        self.rollback()
        self.lazy = self.server_read_committed and level == ext.ISOLATION_LEVEL_READ_COMMITTED
        if self.lazy:
            self.autocommit = True
        else:
            super().set_isolation_level(level)
