"""Tests marked `postgresql` need PostgreSQL tools and server features by design (pg_dump/pg_restore, prepared
statements, the psycopg2 connection class): they run in the PostgreSQL pass of scripts/test.sh
(TEST_DATABASE_URL=postgresql://...) and are deselected, with a line saying so, in the SQLite pass."""
import os

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "postgresql: runs only when TEST_DATABASE_URL is PostgreSQL")


def pytest_collection_modifyitems(config, items):
    if (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgres"):
        return
    chosen, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgresql") else chosen).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = chosen
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            modules = ", ".join(sorted({item.module.__name__.rsplit(".", 1)[-1] for item in deselected}))
            reporter.write_line(f"SQLite pass: {len(deselected)} PostgreSQL-only test(s) deselected ({modules}); "
                                "they run in the PostgreSQL pass")
