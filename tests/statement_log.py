"""Counting the SQL statements a block of code sends (SQLAlchemy's before_cursor_execute), for the hot-path tests."""
import contextlib
import re

from sqlalchemy import event


_WS = re.compile(r"\s+")
_AUTH = re.compile(r"\b(user_session|remember_token)\b")
_CONTROL = re.compile(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK|COMMIT|BEGIN)\b")
_BEGIN = re.compile(r"\s*(SAVEPOINT|BEGIN)\b")
_END = re.compile(r"\s*(RELEASE SAVEPOINT|ROLLBACK|COMMIT)\b")


class Statements(list):
    def summary(self):
        return "\n".join(f"{i + 1:2}. {_WS.sub(' ', s)[:160]}" for i, s in enumerate(self))

    def matching(self, *words):
        return [s for s in self if all(w.lower() in s.lower() for w in words)]

    def without_control(self):
        """The statements without transaction control (BEGIN, SAVEPOINT, COMMIT, ...)."""
        return Statements(s for s in self if not _CONTROL.match(s))

    def split(self):
        """(authentication, work): the statements that resolve the session, the user and the rights at the start of
        a request (with the transaction control around them), and the request's own statements without the
        statements that open and end its transaction (BEGIN/SAVEPOINT first, COMMIT/RELEASE/ROLLBACK last).
        The authentication part is another area's (app/auth); the work is what each hot-path test pins exactly."""
        i = 0
        while i < len(self) and (_AUTH.search(self[i]) or _CONTROL.match(self[i])):
            i += 1
        auth, work = Statements(self[:i]), Statements(self[i:])
        if auth and _BEGIN.match(auth[-1]):  # the request's own transaction opens right after authentication
            work.insert(0, auth.pop())
        if work and _BEGIN.match(work[0]):
            work.pop(0)
        if work and _END.match(work[-1]):
            work.pop()
        return auth, work


# The savepoints the test session puts around each request; in service these are the BEGIN/COMMIT the driver
# sends on its own.
_TEST_SAVEPOINTS = re.compile(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b")


@contextlib.contextmanager
def counting(engine, *, without_test_savepoints=False):
    """Every statement sent on `engine` (any connection) while the block runs, in order."""
    seen = Statements()

    def before(conn, cursor, statement, parameters, context, executemany):
        # A prepared statement (app.db_prepared) is sent as EXECUTE: count it by what it runs.
        statement = getattr(context, "prepared_from", None) or statement
        if not (without_test_savepoints and _TEST_SAVEPOINTS.match(statement)):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def counted(engine):
    """The statements of the code under test: `counting` without the test session's savepoints."""
    return counting(engine, without_test_savepoints=True)
