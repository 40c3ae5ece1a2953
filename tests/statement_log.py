"""Counting the SQL statements a block of code sends (SQLAlchemy's before_cursor_execute), for the hot-path tests."""
import contextlib
import re

from sqlalchemy import event


_WS = re.compile(r"\s+")


class Statements(list):
    def summary(self):
        return "\n".join(f"{i + 1:2}. {_WS.sub(' ', s)[:160]}" for i, s in enumerate(self))

    def matching(self, *words):
        return [s for s in self if all(w.lower() in s.lower() for w in words)]


@contextlib.contextmanager
def counting(engine):
    """Every statement sent on `engine` (any connection) while the block runs, in order."""
    seen = Statements()

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
