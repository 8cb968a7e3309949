"""``flask headcounts``: each council's eligible staff for a survey, for response rates."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from survey_app.cli import fail
from survey_app.extensions import get_db, get_keyring, get_questionnaires
from survey_app.services import audit, headcounts, reports
from survey_app.services.errors import ServiceError
from survey_app.services.surveys import find_survey

headcounts_cli = AppGroup("headcounts", help="Eligible staff per council, for response rates.")


@headcounts_cli.command("set")
@click.option("--survey", "slug", required=True)
@click.option(
    "--file",
    "path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV of council,headcount (a council by its value or label; a header is optional).",
)
def headcounts_set(slug: str, path: Path) -> None:
    """Replace a survey's headcounts with those in a CSV file."""
    info = find_survey(get_db(), slug)
    if info is None:
        fail(f"There is no survey with the slug '{slug}'")
        return
    questionnaire = info.questionnaire_in(get_questionnaires())
    published = reports.published_group_sizes(get_db(), get_keyring(), info, headcounts.COUNCIL)
    try:
        values = headcounts.read_csv(
            path.read_text(encoding="utf-8-sig"), headcounts.councils(questionnaire)
        )
        chosen = headcounts.set_headcounts(
            get_db(), info, questionnaire, values, published, actor=audit.CLI_ACTOR
        )
    except (ServiceError, UnicodeDecodeError) as error:
        fail(str(error) if isinstance(error, ServiceError) else "The file is not UTF-8 text")
        return
    click.echo(
        f"Survey '{info.slug}': headcounts for {len(chosen)} councils, "
        f"{sum(chosen.values()):,} staff."
    )


@headcounts_cli.command("list")
@click.option("--survey", "slug", required=True)
def headcounts_list(slug: str) -> None:
    """A survey's headcounts."""
    info = find_survey(get_db(), slug)
    if info is None:
        fail(f"There is no survey with the slug '{slug}'")
        return
    stored = headcounts.headcounts(get_db(), info.id)
    for council in headcounts.councils(info.questionnaire_in(get_questionnaires())):
        count = stored.get(council.value)
        click.echo(f"{council.label:30} {'-' if count is None else f'{count:,}'}")
