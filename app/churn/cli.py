"""`flask --app app churn-scan`: run the weekly churn scan now, in one transaction."""
import click

from app.db import db_session


def register(app):
    @app.cli.command("churn-scan")
    def churn_scan():
        """Open churn warnings for customers without orders for CHURN_MONTHS (no duplicates)."""
        from app.churn.scan_service import run_configured_scan
        try:
            result = run_configured_scan(db_session)
            db_session.commit()
        except Exception:
            db_session.rollback()
            raise
        click.echo("churn scan: cutoff {cutoff}, {candidates} candidates, {created} new cases, "
                   "{skipped} taken by a concurrent scan".format(**result.as_dict()))
