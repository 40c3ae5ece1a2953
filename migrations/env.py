"""Alembic environment: the schema is the union of the domain and engine metadata."""
import os

from alembic import context

from app.db import ALL_METADATA, include_object_for, make_engine
from app.models import load_all_models

load_all_models()
config = context.config
url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")


def run_migrations_online():
    engine = make_engine(url)
    with engine.connect() as connection:
        # Items declared for one database only (app.db.only_on) are left out of the others' comparisons.
        context.configure(connection=connection, target_metadata=ALL_METADATA,
                          render_as_batch=connection.dialect.name == "sqlite", compare_type=True,
                          include_object=include_object_for(connection.dialect.name))
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Trigram indexes (customer search) need pg_trgm, a trusted extension since PostgreSQL 13.
                connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            context.run_migrations()


def run_migrations_offline():
    context.configure(url=url, target_metadata=ALL_METADATA, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
