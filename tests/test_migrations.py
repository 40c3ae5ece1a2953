"""The migrations build exactly the schema the models describe (on the database under test)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.db import ALL_METADATA


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diffs = compare_metadata(ctx, ALL_METADATA)
    assert diffs == []
