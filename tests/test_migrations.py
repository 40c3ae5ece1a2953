"""The migrations build exactly the schema the models describe (on the database under test). Items declared for
one database only (app.db.only_on, e.g. the PostgreSQL character indexes of the customer search) are compared on
that database and expected on no other."""
import re
import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.db import ALL_METADATA, include_object_for


def _declared_for_other_databases(dialect_name):
    return [index.name for md in ALL_METADATA for table in md.tables.values() for index in table.indexes
            if index.info.get("only_on", dialect_name) != dialect_name]


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn, warnings.catch_warnings():
        dialect_name = conn.dialect.name
        for name in _declared_for_other_databases(dialect_name):
            # Alembic cannot reflect expression indexes on SQLite and says so before include_object leaves them out.
            warnings.filterwarnings("ignore", message=f".*expression-based index {re.escape(repr(name))}",
                                    category=UserWarning)
        ctx = MigrationContext.configure(conn, opts={"compare_type": False,
                                                     "include_object": include_object_for(dialect_name)})
        diffs = compare_metadata(ctx, ALL_METADATA)
    assert diffs == []
