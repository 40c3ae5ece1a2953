"""Project commands: `flask --app app db upgrade`, `seed-demo`, `bootstrap`."""
from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig

from app import DOMAINS, domain_module
from app.db import db_session

ROOT = Path(__file__).resolve().parent.parent
SEED_ORDER = ["auth", "catalog", "customers", "reports", "sales", "churn", "service", "processes_ui"]


def alembic_config(url):
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_database(url):
    command.upgrade(alembic_config(url), "head")


def run_seeds(db):
    for domain in SEED_ORDER:
        mod = domain_module(domain, "seed")
        if mod is not None and hasattr(mod, "seed_demo"):
            mod.seed_demo(db)
            db.flush()


def register(app):
    @app.cli.group("db")
    def db_group():
        """Database migrations (Alembic)."""

    @db_group.command("upgrade")
    def db_upgrade():
        """Bring the schema to the latest migration."""
        upgrade_database(app.config["DATABASE_URL"])
        click.echo("database upgraded")

    @app.cli.command("seed-demo")
    def seed_demo():
        """Load demo users, dictionary, products, customers and orders (idempotent)."""
        run_seeds(db_session)
        db_session.commit()
        click.echo("demo data loaded")

    @app.cli.command("sync-rights")
    def sync_rights():
        """Add rights and roles that are new in the code (keeps admin edits)."""
        from app.auth.seed import sync_rights as _sync
        _sync(db_session)
        db_session.commit()

    @app.cli.command("docs")
    def docs():
        """Regenerate docs/data-model.md and docs/schema.sql from the models."""
        from app.common.schema_docs import write_docs
        written = write_docs()
        click.echo("\n".join(f"written {p}" for p in written) or "docs up to date")
