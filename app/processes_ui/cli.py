"""`flask process deploy` (the repository's models, as at start) and `flask process fire-timers` (on demand)."""
import click

from app.config import ROOT
from app.db import db_session


def register(app):
    @app.cli.group("process")
    def process_group():
        """Process engine: deploy models, fire due timers."""

    @process_group.command("deploy")
    @click.option("--models", default=str(ROOT / "bpmn-models"), show_default=True)
    @click.option("--forms", default=str(ROOT / "forms"), show_default=True)
    def deploy(models, forms):
        """Deploy every changed model (unchanged ones are left alone)."""
        from processes.definitions import deploy_directory
        for row, created in deploy_directory(db_session, models, forms):
            click.echo(f"{row.key}: v{row.version} {'deployed' if created else 'unchanged'}")
        db_session.commit()

    @process_group.command("fire-timers")
    def fire_timers():
        """Fire every due timer now (the scheduler does this every 30 s)."""
        from processes.runtime import fire_due_timers
        handled = []
        while True:
            instance = fire_due_timers(db_session, exclude=handled)
            if instance is None:
                break
            db_session.commit()
            handled.append(instance.id)
            click.echo(f"instance {instance.id}: {instance.status}")
        click.echo(f"{len(handled)} instance(s) had due timers")
