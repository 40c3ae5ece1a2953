"""Counting the SQL statements a piece of code sends (hot paths keep their round trips; tests assert the count)."""
from contextlib import contextmanager

from sqlalchemy import event


# The test session runs each request in a savepoint of the test's transaction; in service these are the
# BEGIN/COMMIT the driver sends on its own, which are no statements of the code under test.
_TEST_TRANSACTION = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


class Statements(list):
    """The statements sent inside the block, in order (their SQL text)."""


@contextmanager
def counted(engine):
    sent = Statements()

    def _count(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith(_TEST_TRANSACTION):
            sent.append(statement)
    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", _count)
