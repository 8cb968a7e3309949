"""``flask demo setup``: one open demo survey per questionnaire, for ``make run``.

Idempotent: a second run finds the surveys and only prints their addresses. Refused in
production, because the demo key holder's passphrase is printed for anyone to read.
"""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from survey_app.extensions import get_db, get_questionnaires
from survey_app.services import surveys

# Printed on purpose by `make run`; demo surveys are refused in production.
DEMO_PASSPHRASE = "demo-key-holder-passphrase"  # noqa: S105
DEMO_KEY_LABEL = "Demo key holder"

demo_cli = AppGroup("demo", help="Demo surveys for trying Candour out.")


def ensure_demo_surveys(log2_n: int) -> list[surveys.SurveyInfo]:
    db = get_db()
    ready = []
    for questionnaire in sorted(get_questionnaires().values(), key=lambda q: q.id):
        slug = f"demo-{questionnaire.id}"
        info = surveys.find_survey(db, slug)
        if info is None:
            info = surveys.create_survey(
                db,
                questionnaire,
                title=f"{questionnaire.title} (demo)",
                access="open",
                min_group=current_app.config["SURVEY_DEFAULT_MIN_GROUP"],
                key_label=DEMO_KEY_LABEL,
                passphrase=DEMO_PASSPHRASE,
                log2_n=log2_n,
                slug=slug,
            )
        if info.status == "draft":
            info = surveys.open_survey(db, slug)
        ready.append(info)
    return ready


@demo_cli.command("setup")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
def demo_setup(base_url: str) -> None:
    """Create and open the demo surveys, then print their addresses."""
    if current_app.config["SURVEY_ENV"] == "production":
        click.echo("Error: demo surveys are not created in production.", err=True)
        sys.exit(1)
    ready = ensure_demo_surveys(int(current_app.config["SURVEY_SCRYPT_LOG2_N"]))
    click.echo("")
    click.echo("Demo surveys (open, anyone with the link):")
    for info in ready:
        click.echo(f"  {info.title}: {base_url.rstrip('/')}/s/{info.slug}/  [{info.status}]")
    click.echo(f"Demo key holder '{DEMO_KEY_LABEL}' passphrase: {DEMO_PASSPHRASE}")
    click.echo("  (for `flask responses export --survey SLUG --out FILE`; demo only)")
    click.echo("")
