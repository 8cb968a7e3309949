"""``flask retention``: delete raw responses once their retention period has ended.

Safe to run from cron (for example every night): each survey is shredded once, and a run with
nothing due prints so and changes nothing. ``--dry-run`` lists what would go.
"""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from survey_app.cli import WholeNumberParam, fail
from survey_app.extensions import get_db
from survey_app.services import audit, retention
from survey_app.services.errors import ServiceError

retention_cli = AppGroup("retention", help="Delete raw responses after their retention period.")


@retention_cli.command("apply")
@click.option("--dry-run", is_flag=True, help="List the surveys that are due; change nothing.")
def retention_apply(dry_run: bool) -> None:
    """Crypto-shred every survey whose retention period has ended: delete its key slots,
    responses, codes, draft releases and review copies; keep its published reports."""
    found = retention.apply(get_db(), dt.date.today(), actor=audit.CLI_ACTOR, dry_run=dry_run)
    if not found:
        click.echo("No survey is due: nothing was deleted.")
        return
    verb = "Would delete" if dry_run else "Deleted"
    for shredded in found:
        info = shredded.survey
        click.echo(
            f"{verb} {info.slug}: {shredded.responses} responses, {shredded.key_slots} key "
            f"slots and {shredded.drafts} draft releases (closed {info.closed_on}, kept "
            f"{info.retention_months} months); its published reports stay."
        )


@retention_cli.command("set")
@click.argument("slug")
@click.argument("months", type=WholeNumberParam(minimum=1))
def retention_set(slug: str, months: int) -> None:
    """Keep a survey's raw responses for MONTHS months after it closes."""
    try:
        info = retention.set_retention(get_db(), slug, months, actor=audit.CLI_ACTOR)
    except ServiceError as error:
        fail(str(error))
        return
    when = f"on {info.delete_on}" if info.delete_on else f"{months} months after it closes"
    click.echo(f"Survey '{info.slug}': raw responses will be deleted {when}.")
